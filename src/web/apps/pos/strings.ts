import { appStrings } from '../../ui/words.ts';

// The register's own text, English then Japanese; the words every app says are in ui/words.ts.

export const S = appStrings({
  posTitle: ['Register', 'レジ'],
  signInTitle: ['Sign in this register', 'レジにログイン'],
  signInNote: [
    'Use the terminal id and secret from the merchant dashboard. Kinko checks them now; ' +
      'they stay in this tab only.',
    'ダッシュボードで発行した端末IDとシークレットを入力してください。ログイン時に確認し、' +
      'このタブ内にのみ保存します。',
  ],
  terminalId: ['Terminal id', '端末ID'],
  managerApprovalHint: [
    'A manager approves the refund with their own dashboard email and authenticator code.',
    '返金は責任者が自分のダッシュボード用メールアドレスと認証アプリのコードで承認します。',
  ],
  managerEmail: ["Manager's email", '責任者のメールアドレス'],
  managerCode: ["Manager's authenticator code", '責任者の認証アプリのコード'],
  terminal: ['Terminal {id}', '端末 {id}'],
  code: ["Customer's payment code", 'お客様の支払いコード'],
  codeHint: [
    'Scan it, or type the digits under the barcode.',
    'スキャンするか、バーコード下の数字を入力',
  ],
  charge: ['Charge', '請求する'],
  chargeExact: ['Charge {amount}', '{amount} を請求する'],
  approved: ['Approved', '承認'],
  declined: ['Declined', '拒否'],
  reasonIs: ['Reason: {reason}', '理由: {reason}'],
  receipt: ['Receipt', 'レシート'],
  receiptNo: ['Receipt number', 'レシート番号'],
  newSale: ['New sale', '次の会計'],
  refundLast: ['Refund the last payment', '直前の支払いを返金'],
  refundHint: [
    'Leave empty to refund all that is left ({left}).',
    '空欄の場合は残り全額（{left}）を返金',
  ],
  refundAction: ['Refund', '返金する'],
  useCamera: ['Scan with camera', 'カメラでスキャン'],
  noCamera: [
    'This browser cannot scan barcodes; type the digits instead.',
    'このブラウザはスキャンできません。数字を入力してください。',
  ],
  // Refusals, by the API's error code (docs/errors.md).
  code_malformed: [
    'A payment code has 22 digits. Check the digits or scan again.',
    '支払いコードは22桁です。数字を確認するか、もう一度スキャンしてください。',
  ],
  code_wrong_prefix: [
    'This is not a Kinko payment code. Ask the customer to show the Kinko app.',
    'Kinko の支払いコードではありません。Kinko アプリの画面を提示してもらってください。',
  ],
  code_bad_check_digit: [
    'The code was mistyped or misread. Check the digits or scan again.',
    'コードの入力または読み取りに誤りがあります。数字を確認するか、もう一度スキャンしてください。',
  ],
  code_invalid: [
    'The code is not valid. Ask the customer to show a new code.',
    'コードが無効です。新しいコードを表示してもらってください。',
  ],
  code_expired: [
    'The code has expired. Ask the customer to show a new one.',
    'コードの有効期限切れです。新しいコードを表示してもらってください。',
  ],
  code_already_used: [
    'The code was already used. Ask the customer for a new one.',
    'コードは使用済みです。新しいコードを表示してもらってください。',
  ],
  code_guessing_throttled: [
    'Too many wrong codes from this register. Wait a few minutes.',
    'このレジで誤ったコードが多すぎます。数分待ってから再度お試しください。',
  ],
  insufficient_funds: ['Not enough balance in the wallet.', 'ウォレットの残高が不足しています。'],
  walletRefused: [
    "The customer's wallet cannot pay this now. Ask them to check the Kinko app.",
    'お客様のウォレットでは現在お支払いできません。Kinko アプリを確認してもらってください。',
  ],
  wallet_unavailable: [
    'This wallet cannot pay now. Ask the customer to check the Kinko app.',
    'このウォレットは現在お支払いに使えません。Kinko アプリを確認してもらってください。',
  ],
  terminal_store_mismatch: [
    'This register belongs to another store. Sign in again.',
    'このレジは別の店舗の端末です。ログインし直してください。',
  ],
  terminal_credentials_invalid: [
    'The terminal id or secret is wrong.',
    '端末IDまたはシークレットが違います。',
  ],
  terminal_credentials_missing: [
    'Enter the terminal id and secret.',
    '端末IDとシークレットを入力してください。',
  ],
} as const);

import { appStrings } from '../../ui/words.ts';

// The wallet's own text, English then Japanese; the words every app says are in ui/words.ts.

export const S = appStrings({
  walletTitle: ['Wallet', 'ウォレット'],
  loading: ['Loading…', '読み込み中…'],
  navHome: ['Home', 'ホーム'],
  navPay: ['Pay', '支払う'],
  navTopUp: ['Top up', 'チャージ'],
  // Sign-up and sign-in.
  signUpTitle: ['Create your Kinko wallet', 'Kinko ウォレットを作成'],
  signInTitle: ['Sign in to Kinko', 'Kinko にログイン'],
  signUp: ['Create an account', 'アカウントを作成'],
  haveAccount: ['Already have an account?', 'アカウントをお持ちの方は'],
  noAccount: ['New to Kinko?', '初めての方は'],
  email: ['Email address', 'メールアドレス'],
  phone: ['Mobile phone number', '携帯電話番号'],
  phoneHint: ['With country code, e.g. +819012345678', '国番号から入力（例: +819012345678）'],
  passwordHint: [
    'At least 12 characters; a phrase is easiest to remember.',
    '12文字以上。フレーズにすると覚えやすくなります。',
  ],
  emailOrPhone: ['Email or phone number', 'メールアドレスまたは電話番号'],
  sendCodes: ['Send verification codes', '確認コードを送信'],
  verifyTitle: ['Enter your codes', '確認コードを入力'],
  verifyIntro: [
    'We sent one code to {email} and one by SMS to your phone.',
    '{email} と携帯電話（SMS）に確認コードを送りました。',
  ],
  emailCode: ['Code from the email', 'メールのコード'],
  phoneCode: ['Code from the SMS', 'SMS のコード'],
  deviceName: ['Name of this device', 'この端末の名前'],
  deviceNameHint: [
    'This browser gets its own key; payments need it.',
    'このブラウザ専用の鍵を作成します。支払いに必要です。',
  ],
  createAccount: ['Create account', 'アカウントを作成'],
  newDeviceTitle: ['A new device', '新しい端末'],
  newDeviceIntro: [
    'This browser is not yet one of your devices. Register it; we will text a code to your phone.',
    'このブラウザは未登録です。登録すると携帯電話にコードを送ります。',
  ],
  newDeviceCode: [
    'Enter the code we sent to your phone.',
    '携帯電話に届いたコードを入力してください。',
  ],
  registerDevice: ['Register this device', 'この端末を登録'],
  confirmDevice: ['Confirm device', '端末を確認'],
  // Setup and security.
  setupTitle: ['Protect your wallet', 'ウォレットを保護'],
  welcome: ['Your wallet is ready.', 'ウォレットの準備ができました。'],
  continue: ['Continue', '続ける'],
  secondFactors: ['Second factor', '二要素認証'],
  factorsIntro: [
    'Top-ups, payment codes and card changes ask for a passkey or an authenticator code.',
    'チャージ・支払いコード・カード登録にはパスキーか認証アプリのコードが必要です。',
  ],
  passkey: ['Passkey', 'パスキー'],
  authenticatorApp: ['Authenticator app', '認証アプリ'],
  enrolled: ['set up', '設定済み'],
  notEnrolled: ['not set up', '未設定'],
  addTotp: ['Use an authenticator app', '認証アプリを使う'],
  totpScan: [
    'Scan this with your authenticator app, or type the key below.',
    '認証アプリでスキャンするか、下のキーを入力してください。',
  ],
  totpQrAlt: ['QR code for your authenticator app', '認証アプリ用 QR コード'],
  totpCode: ['6-digit code from the app', 'アプリの6桁のコード'],
  confirm: ['Confirm', '確認'],
  cancelled: ['Cancelled.', 'キャンセルしました。'],
  recoveryCodes: ['Recovery codes', 'リカバリーコード'],
  recoveryCodesOnce: [
    'Write these down now. Each works once, and they are shown only this time.',
    '今すぐ控えてください。各コードは1回限りで、表示は今回だけです。',
  ],
  recoveryLeft: ['{n} recovery codes left.', '残りのリカバリーコード: {n}'],
  newRecoveryCodes: ['Make new recovery codes', 'リカバリーコードを再発行'],
  devices: ['Devices', '端末'],
  confirmed: ['confirmed', '確認済み'],
  pending: ['waiting for confirmation', '確認待ち'],
  thisDevice: ['this device', 'この端末'],
  removeDeviceNote: [
    'Lost a device? Remove it: it can no longer sign in or approve payments. ' +
      'Removing needs a recent check of your second factor.',
    '端末を紛失した場合は削除してください。削除した端末ではログインや支払いの承認ができなくなります。' +
      '削除には最近の二要素認証が必要です。',
  ],
  removeDeviceConfirm: [
    'Remove this device? Its sessions end now.',
    'この端末を削除しますか？その端末のセッションはすぐに終了します。',
  ],
  removeThisDeviceConfirm: [
    'Remove the device you are using? You will be signed out.',
    '使用中の端末を削除しますか？ログアウトされます。',
  ],
  removeDeviceYes: ['Yes, remove', '削除する'],
  signOutEverywhere: ['Sign out everywhere', 'すべての端末からログアウト'],
  signOutEverywhereNote: [
    'Ends every session of your account, on every device, including this one.',
    'この端末を含む、すべての端末のセッションを終了します。',
  ],
  deleteAccount: ['Delete account', 'アカウント削除'],
  deleteAccountNote: [
    'Your cards are destroyed and you are signed out everywhere. Your wallet must be empty ' +
      '(¥0). Records the law requires us to keep refer only to an anonymous account number.',
    'カードは消去され、すべての端末からログアウトされます。ウォレット残高が ¥0 である必要があります。' +
      '法令で保存が必要な記録は匿名のアカウント番号のみを参照します。',
  ],
  deleteAccountBalance: [
    'Your wallet still holds {balance}. Spend it first, then delete the account.',
    'ウォレットに {balance} が残っています。使い切ってから削除してください。',
  ],
  deleteAccountWord: ['DELETE', '削除'],
  deleteAccountType: ['Type {word} to confirm', '確認のため「{word}」と入力してください'],
  accountDeleted: [
    'Your account was deleted. Thank you for using Kinko.',
    'アカウントを削除しました。Kinko をご利用いただきありがとうございました。',
  ],
  stepUpTitle: ['Confirm it is you', '本人確認'],
  stepUpIntro: [
    'This action needs a recent check of your second factor.',
    'この操作には二要素認証の再確認が必要です。',
  ],
  stepUpWindow: [
    'After this check you are not asked again for {minutes} minutes.',
    '確認後{minutes}分間は、再度の確認は不要です。',
  ],
  usePasskey: ['Use passkey', 'パスキーを使う'],
  // Money.
  held: ['Money movement is paused until {until}.', '{until} まで送金が保留されています。'],
  needFactor: [
    'Set up a passkey or an authenticator app before topping up or paying.',
    'チャージや支払いの前にパスキーか認証アプリを設定してください。',
  ],
  scanStore: ['Scan a store QR', '店舗 QR で支払う'],
  limits: ['Limits', '利用限度額'],
  linkCard: ['Link a card', 'カードを登録'],
  linkCardNote: [
    'Card details go straight to Kinko in a secure frame; this app never sees them.',
    'カード情報は保護された枠内で Kinko に直接送られ、このアプリには渡りません。',
  ],
  payWithCard: ['Card to top up from', 'チャージに使うカード'],
  addCard: ['Link another card', '別のカードを登録'],
  noHostedKey: [
    'Card linking is not configured on this server.',
    'このサーバーではカード登録が設定されていません。',
  ],
  topupAmount: ['Amount to add (¥)', 'チャージ金額（円）'],
  topupSubmit: ['Top up', 'チャージする'],
  topupSubmitAmount: ['Top up {amount}', '{amount} をチャージする'],
  toppedUp: ['Added {amount} to your wallet.', '{amount} をチャージしました。'],
  topupHeld: [
    'We are checking your top-up of {amount}. Your card has not been charged; we will email ' +
      'you the outcome.',
    '{amount} のチャージを確認しています。カードへの請求はまだ行っていません。結果はメールで' +
      'お知らせします。',
  ],
  topupFailed: ['The top-up did not go through ({code}).', 'チャージできませんでした（{code}）。'],
  challengeTitle: ['Confirm with your card issuer', 'カード会社の本人認証'],
  challengeIntro: [
    'Your card issuer asks you to confirm this top-up (3-D Secure).',
    'カード会社が本人認証（3-D セキュア）を求めています。',
  ],
  receipt: ['Receipt', '領収書'],
  receiptNo: ['Receipt number', '領収書番号'],
  close: ['Close', '閉じる'],
  topup: ['Top-up', 'チャージ'],
  payment: ['Payment', '支払い'],
  noHistory: ['Nothing yet.', 'まだ履歴はありません。'],
  more: ['Show more', 'さらに表示'],
  tier: ['Your limits (tier: {tier})', '利用限度額（ランク: {tier}）'],
  max: ['max', '上限'],
  setLimits: ['Set your own limits', '利用限度額を設定'],
  setLimitsNote: [
    'Lower limits take effect at once; raising one asks for your second factor.',
    '引き下げはすぐに反映されます。引き上げには二要素認証が必要です。',
  ],
  per_topup: ['Per top-up (¥)', '1回あたり（円）'],
  daily: ['Per day (¥)', '1日あたり（円）'],
  monthly: ['Per month (¥)', '1か月あたり（円）'],
  save: ['Save', '保存'],
  usedToday: ['Used today: {amount}', '本日の利用: {amount}'],
  usedMonth: ['this month: {amount}', '今月: {amount}'],
  storeCode: ['Store code', '店舗コード'],
  storeCodeHint: [
    'Scan the QR code at the counter, or paste its text.',
    'レジの QR コードを読み取るか、文字列を貼り付けてください。',
  ],
  confirmPay: ['Pay', '支払う'],
  confirmPayAmount: ['Pay {amount}', '{amount} を支払う'],
  paid: ['Paid {amount}.', '{amount} を支払いました。'],
  paidStore: ['Paid {amount} to {store}.', '{store} に {amount} を支払いました。'],
  useCamera: ['Scan with camera', 'カメラで読み取る'],
  noCamera: [
    'This browser cannot scan codes; paste the store code instead.',
    'このブラウザでは読み取りできません。コードを貼り付けてください。',
  ],
  payTitle: ['Pay at the register', 'レジで支払う'],
  payIntro: [
    'Show this code to the cashier. It works once and is valid for {minutes} minutes.',
    'このコードをレジで提示してください。1回限り、{minutes}分間有効です。',
  ],
  payStepUp: [
    'After you confirm with your passkey or authenticator, new codes appear without asking ' +
      'again for {minutes} minutes.',
    'パスキーまたは認証アプリで確認すると、その後{minutes}分間は確認なしで新しいコードを表示します。',
  ],
  newCodeAsks: [
    'Your last check was a while ago: a new code asks for your passkey first.',
    '前回の確認から時間が経っているため、新しいコードの表示前にパスキーで確認します。',
  ],
  codePaid: ['Paid', 'お支払い完了'],
  paidAt: ['at {store}', '{store} でのお支払い'],
  balanceNow: ['Balance now: {amount}', '残高: {amount}'],
  done: ['Done', '完了'],
  paymentCode: ['Payment code', '支払いコード'],
  qrAlt: ['Payment code as a QR code', '支払いコード（QR コード）'],
  barcodeAlt: ['Payment code as a barcode', '支払いコード（バーコード）'],
  expiresIn: ['Expires in {time}', '有効期限まで {time}'],
  timeLeft: ['Time left', '残り時間'],
  codeExpired: ['The code has expired.', 'コードの有効期限が切れました。'],
  newCode: ['Show a new code', '新しいコードを表示'],
  // The freeze link of receipts and security notices.
  freezeTitle: ['Was this not you?', '心当たりがない場合'],
  freezeIntro: [
    'Freezing your account stops every payment and top-up and signs out every device. ' +
      'Kinko support restores it once you are identified.',
    'アカウントを凍結すると、支払いとチャージがすべて止まり、すべての端末からログアウトします。' +
      '本人確認のうえ、Kinko サポートが凍結を解除します。',
  ],
  freezeAccount: ['Freeze my account', 'アカウントを凍結'],
  freezeDone: [
    'Your account is frozen and every device is signed out. Contact Kinko support to restore it.',
    'アカウントを凍結し、すべての端末からログアウトしました。解除は Kinko サポートにご連絡ください。',
  ],
  freezeLinkSpent: [
    'This link was already used or has expired. If your account is still open and this was ' +
      'not you, contact Kinko support now.',
    'このリンクは使用済みか、有効期限が切れています。アカウントが凍結されておらず心当たりがない' +
      '場合は、すぐに Kinko サポートにご連絡ください。',
  ],
} as const);

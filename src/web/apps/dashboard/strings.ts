import { appStrings } from '../../ui/words.ts';

// The merchant dashboard's own text, English then Japanese; the words every app says are in
// ui/words.ts.

export const S = appStrings({
  dashboardTitle: ['Merchant dashboard', '加盟店ダッシュボード'],
  navPaymentPages: ['Payment pages', '決済ページ監視'],
  signInTitle: ['Sign in to your dashboard', 'ダッシュボードにログイン'],
  email: ['Work email', '業務用メールアドレス'],
  signInNote: [
    'Email, password and a code from your authenticator app, every time. Secret API keys ' +
      'never go into this page: create them under API keys, where each is shown once.',
    'メールアドレス、パスワード、認証アプリのコードを毎回入力します。シークレット API キーを' +
      'このページに入力することはありません（キーは「API キー」で作成し、一度だけ表示されます）。',
  ],
  totpCode: ['Authenticator code', '認証アプリのコード'],
  recoveryCode: ['Recovery code', 'リカバリーコード'],
  useRecoveryCode: [
    'Lost your authenticator? Use a recovery code',
    '認証アプリを使えない場合はリカバリーコードを使う',
  ],
  usePasskeyInstead: ['Use a passkey instead', '代わりにパスキーを使う'],
  signInPasskeyNote: [
    'Email and password, then your browser asks for the passkey you added to this dashboard.',
    'メールアドレスとパスワードを入力すると、ブラウザがこのダッシュボードに登録したパスキーを求めます。',
  ],
  signInWithPasskey: ['Sign in with passkey', 'パスキーでログイン'],
  passkeyPromptFailed: [
    'The passkey was not used: the prompt was closed, timed out, or this device has no ' +
      'passkey for this dashboard. Try again, or use your authenticator code.',
    'パスキーを使えませんでした（画面が閉じられた、時間切れ、またはこの端末にこのダッシュボードの' +
      'パスキーがありません）。もう一度お試しいただくか、認証アプリのコードを使ってください。',
  ],
  passkeyCredentialsInvalid: [
    'The email, password or passkey is not correct.',
    'メールアドレス、パスワード、またはパスキーが正しくありません。',
  ],
  securityNote: [
    'A passkey signs you in with your password in place of the authenticator code. Adding ' +
      'or removing one asks for a current authenticator code.',
    'パスキーがあれば、ログイン時に認証アプリのコードの代わりにパスワードと一緒に使えます。' +
      'パスキーの追加・削除には認証アプリの現在のコードが必要です。',
  ],
  yourPasskeys: ['Your passkeys', 'あなたのパスキー'],
  noPasskeys: ['You have no passkeys yet.', 'パスキーはまだありません。'],
  passkeyName: ['Passkey name', 'パスキーの名前'],
  added: ['Added', '追加日時'],
  neverUsed: ['Not used yet', '未使用'],
  addPasskeyNote: [
    'Name it after the device (for example “Work laptop”), enter a code from your ' +
      'authenticator app, then confirm in the browser’s prompt.',
    '端末がわかる名前（例：「仕事用ノート PC」）と認証アプリのコードを入力し、ブラウザの画面で' +
      '確認してください。',
  ],
  addPasskeyGo: ['Add passkey', 'パスキーを追加'],
  passkeyCreateFailed: [
    'No passkey was added: the browser prompt was closed or timed out. Try again.',
    'パスキーは追加されませんでした（ブラウザの画面が閉じられたか、時間切れです）。' +
      'もう一度お試しください。',
  ],
  passkeysUnsupported: [
    'This browser cannot use passkeys; your authenticator app keeps working.',
    'このブラウザはパスキーに対応していません。認証アプリは引き続き使えます。',
  ],
  useTotp: ['Use the authenticator code instead', '認証アプリのコードを使う'],
  inviteTitle: ['Join the team: choose a password', 'チームに参加：パスワードを設定'],
  inviteNote: [
    'At least 12 characters. Next you add an authenticator app; both are required.',
    '12 文字以上。次に認証アプリを登録します（どちらも必須です）。',
  ],
  newPassword: ['New password', '新しいパスワード'],
  newPasswordAgain: ['New password again', '新しいパスワード（確認）'],
  passwordsDiffer: ['The two passwords differ.', '2 つのパスワードが一致しません。'],
  inviteNext: ['Next: authenticator app', '次へ：認証アプリ'],
  enrolTitle: ['Add your authenticator app', '認証アプリを登録'],
  enrolNote: [
    'Scan the code with your authenticator app (or type the key below), then enter the ' +
      'six-digit code it shows.',
    '認証アプリでコードを読み取る（または下のキーを入力する）と表示される 6 桁のコードを入力してください。',
  ],
  totpQrAlt: ['QR code for your authenticator app', '認証アプリ用の QR コード'],
  enrolConfirm: ['Confirm and sign in', '確認してログイン'],
  recoveryTitle: ['Your recovery codes', 'リカバリーコード'],
  recoveryNote: [
    'Each code signs you in once in place of the authenticator code. Keep them somewhere ' +
      'safe: they are shown only now.',
    '各コードは認証アプリのコードの代わりに 1 回だけ使えます。今しか表示されないため、' +
      '安全な場所に保管してください。',
  ],
  recoveryDone: ['I have kept them', '保管しました'],
  testData: ['Test data', 'テストデータ'],
  navTeam: ['Team', 'チーム'],
  teamTitle: ['Team', 'チーム'],
  teamNote: [
    'Everyone who can sign in to this dashboard. Removing someone signs them out at once.',
    'このダッシュボードにログインできるメンバーです。削除すると即座にログアウトされます。',
  ],
  role: ['Role', '役割'],
  role_owner: ['Owner', 'オーナー'],
  role_admin: ['Admin', '管理者'],
  role_developer: ['Developer (API keys, webhooks)', '開発者（API キー・Webhook）'],
  role_analyst: ['Analyst (read only)', 'アナリスト（閲覧のみ）'],
  role_store_manager: [
    'Store manager (refunds at their stores)',
    '店舗マネージャー（自店舗の返金）',
  ],
  managerStores: ['Their stores', '担当店舗'],
  inviteSomeone: ['Invite someone', 'メンバーを招待'],
  sendInvitation: ['Send invitation', '招待を送信'],
  invitationSent: [
    'Invitation sent by email. The link works for 72 hours.',
    '招待メールを送信しました。リンクの有効期限は 72 時間です。',
  ],
  invitedUntil: ['Invited (until {when})', '招待中（{when} まで）'],
  revokeInvitation: ['Withdraw', '取り消す'],
  removePerson: ['Remove from team', 'チームから削除'],
  locked: ['Locked', 'ロック中'],
  secretKey: ['Secret key', 'シークレットキー'],
  navPayments: ['Payments', '決済'],
  navRefunds: ['Refunds', '返金'],
  navKeys: ['API keys', 'API キー'],
  navWebhooks: ['Webhooks', 'Webhook'],
  navStores: ['Stores', '店舗'],
  id: ['ID', 'ID'],
  description: ['Description', '説明'],
  kind: ['Kind', '種類'],
  any: ['Any', 'すべて'],
  from: ['From', '開始日'],
  to: ['To', '終了日'],
  filter: ['Apply filters', '絞り込む'],
  next: ['Next page', '次のページ'],
  none: ['Nothing here yet.', 'まだありません。'],
  cardPayments: ['Card payments (web)', 'カード決済（Web）'],
  codePayments: ['Code payments (registers)', 'コード決済（レジ）'],
  codePaymentsFind: ['Open by id (pay_…, on the receipt)', 'ID で開く（レシートの pay_…）'],
  open: ['Open', '開く'],
  method: ['Method', '方式'],
  methodCpm: ['Customer code at a register', 'レジでお客様のコード'],
  methodMpm: ['Store QR scanned by the customer', 'お客様が店舗 QR を読み取り'],
  terminal: ['Terminal', '端末'],
  testKeyNoWallet: [
    'You are looking at test data. Register and store QR payments move real wallet money, ' +
      'so they are only in live data: untick “Test data” to see and refund them.',
    'テストデータを表示しています。レジ決済・店舗 QR 決済は実際のウォレット残高を動かすため、' +
      'ライブデータにのみあります。表示・返金するには「テストデータ」のチェックを外してください。',
  ],
  kindCard: ['Card (web)', 'カード（Web）'],
  kindCode: ['Register / QR', 'レジ・QR'],
  paymentTitle: ['Payment {id}', '決済 {id}'],
  timeline: ['Timeline', 'タイムライン'],
  refunds: ['Refunds', '返金'],
  refundHint: [
    'Up to {amount}. Leave empty to refund all of it; you confirm the amount first.',
    '{amount} まで。空欄の場合は全額を返金します（実行前に金額を確認します）。',
  ],
  refundReview: ['Review refund', '返金内容を確認'],
  refundConfirm: [
    'Refund {amount} to the customer? This cannot be undone.',
    'お客様に {amount} を返金します。取り消しはできません。よろしいですか？',
  ],
  refundTooMuch: [
    'The amount is more than can still be refunded for this payment.',
    '返金額がこの決済の返金可能額を超えています。',
  ],
  refundTooMuchLeft: [
    'The amount is more than can still be refunded: at most {amount}.',
    '返金額が返金可能額を超えています。返金できるのは {amount} までです。',
  ],
  refundLiveOnly: [
    'Register and store QR payments are refunded from live data; untick “Test data”.',
    'レジ決済・店舗 QR 決済の返金はライブデータで行います。「テストデータ」のチェックを外してください。',
  ],
  refundNoPayment: ['This payment was not found.', 'この決済は見つかりませんでした。'],
  refundNotAllowed: [
    'This payment cannot be refunded in its current state.',
    'この決済は現在の状態では返金できません。',
  ],
  refundFailed: ['The refund was refused.', '返金できませんでした。'],
  refundFailedUnknown: [
    'The refund could not be sent; check the connection and try again.',
    '返金を送信できませんでした。通信状態を確認して、もう一度お試しください。',
  ],
  reasonRequested: ['Requested by the customer', 'お客様のご依頼'],
  reasonDuplicate: ['Duplicate payment', '二重決済'],
  reasonFraudulent: ['Fraudulent', '不正利用'],
  balanceNow: ['Balance shown', '表示中の取引の合計'],
  typePayment: ['Card payment', 'カード決済'],
  typeRefund: ['Card refund', 'カード返金'],
  typeCodePayment: ['Register payment', 'レジ決済'],
  typeStorePayment: ['Store QR payment', '店舗 QR 決済'],
  typeWalletRefund: ['Register / QR refund', 'レジ・QR 返金'],
  received: ['Received', '受領額'],
  refundedTotal: ['Refunded', '返金済み'],
  back: ['Back', '戻る'],
  payment: ['Payment', '決済'],
  balanceTitle: ['Balance transactions', '残高の取引'],
  source: ['Source', '元'],
  keysTitle: ['API keys', 'API キー'],
  name: ['Name', '名前'],
  prefix: ['Key', 'キー'],
  lastUsed: ['Last used', '最終使用'],
  expires: ['Expires', '有効期限'],
  createKey: ['Create key', 'キーを作成'],
  scopes: ['Scopes (restricted keys)', 'スコープ（制限付きキー）'],
  roll: ['Roll', 'ロール'],
  revoke: ['Revoke', '無効化'],
  revokeConfirm: [
    'Revoke this key now? Requests with it fail at once.',
    'このキーを今すぐ無効化しますか？',
  ],
  revealOnce: [
    'Copy this now: it is shown only once and cannot be retrieved again.',
    '今すぐコピーしてください。表示は一度だけで、再表示できません。',
  ],
  overlap: ['Old key keeps working for (seconds)', '旧キーの有効期間（秒）'],
  webhooksTitle: ['Webhook endpoints', 'Webhook エンドポイント'],
  url: ['URL', 'URL'],
  events: ['Event types', 'イベント種別'],
  eventsHint: ['Comma-separated, or * for all.', 'カンマ区切り。すべては *'],
  addEndpoint: ['Add endpoint', 'エンドポイントを追加'],
  deliveries: ['Deliveries', '配信履歴'],
  show: ['Show', '表示'],
  lastStatus: ['Last HTTP status', '最終ステータス'],
  resend: ['Resend', '再送'],
  resent: ['Resent.', '再送しました。'],
  storesTitle: ['Stores and terminals', '店舗と端末'],
  mcc: ['Merchant category code', '業種コード (MCC)'],
  city: ['City', '市区町村'],
  postal: ['Postal code', '郵便番号'],
  addStore: ['Add store', '店舗を追加'],
  terminals: ['Terminals (registers)', '端末（レジ）'],
  terminalName: ['Terminal name', '端末名'],
  addTerminal: ['Add terminal', '端末を追加'],
  qr: ['Store QR', '店舗 QR'],
  qrAlt: ['QR code customers scan to pay {store}', '{store} で支払うための QR コード'],
  qrMissing: ['The store QR API is not available yet.', '店舗 QR の API はまだありません。'],
  qrLiveOnly: [
    'Customers pay the store QR with real wallet money, so Test data cannot show it; ' +
      'untick “Test data”.',
    '店舗 QR はお客様がウォレットの実際のお金で支払うため、テストデータでは表示できません。' +
      '「テストデータ」のチェックを外してください。',
  ],
} as const);

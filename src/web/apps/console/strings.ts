import { appStrings } from '../../ui/words.ts';

// The operator console's own text, English then Japanese; the words every app says are in
// ui/words.ts.

export const S = appStrings({
  consoleTitle: ['Operator console', 'オペレーターコンソール'],
  signInTitle: ['Operator sign-in', 'オペレーターログイン'],
  signInNote: [
    'Password and authenticator code, every time. Sessions end after 15 idle minutes.',
    '毎回パスワードと認証コードが必要です。15分操作がないとセッションは終了します。',
  ],
  email: ['Email', 'メールアドレス'],
  totp: ['Authenticator code', '認証コード'],
  role: ['Role: {role}', 'ロール: {role}'],
  navLookup: ['Look up', '検索'],
  navAudit: ['Audit trail', '監査ログ'],
  navVerify: ['Verify', '検証'],
  navEvents: ['Security events', 'セキュリティイベント'],
  lookupTitle: ['Look up a customer, merchant or payment', '顧客・加盟店・決済を検索'],
  lookupId: ['Customer id, email or phone, or any id', '顧客ID・メール・電話番号、または各種ID'],
  lookupHint: [
    'A customer by id (UUID), verified email or phone (+81 90…, 090…), exact match; or ' +
      'a merchant (mer_…), payment (pay_…) or any subject id for its audit trail. ' +
      'Lookups are audited.',
    '顧客はID（UUID）、確認済みのメールアドレス・電話番号（+81 90…、090…）で完全一致検索します。' +
      '加盟店ID（mer_…）・決済ID（pay_…）などは監査ログを表示します。検索は監査ログに記録されます。',
  ],
  find: ['Find', '検索'],
  customer: ['Customer', '顧客'],
  status_active: ['Active', '有効'],
  status_frozen: ['Frozen', '凍結中'],
  status_deleted: ['Deleted', '削除済み'],
  emailMasked: ['Email', 'メール'],
  phone: ['Phone', '電話'],
  hold: ['Money hold until', '送金保留期限'],
  frozenAt: ['Frozen at', '凍結日時'],
  frozenBy: ['Frozen by', '凍結した人'],
  frozenBySelf: ['The customer (freeze link)', '顧客本人（凍結リンク）'],
  freeze: ['Freeze account', 'アカウントを凍結'],
  freezeReason: ['Reason for freezing', '凍結の理由'],
  freezeHint: [
    'Required, kept in the audit trail. Every session ends and money stops moving.',
    '必須。監査ログに記録されます。全セッションが終了し、送金が停止します。',
  ],
  unfreeze: ['Unfreeze account', '凍結を解除'],
  unfreezeReason: ['Reason for unfreezing', '解除の理由'],
  unfreezeHint: [
    'Required, kept in the audit trail; the customer is told. ' +
      'Another security admin than the one who froze the account must do this.',
    '必須。監査ログに記録され、顧客に通知されます。凍結した本人以外のセキュリティ管理者が行います。',
  ],
  frozen: ['The account is frozen.', 'アカウントを凍結しました。'],
  unfrozen: ['The account is unfrozen.', 'アカウントの凍結を解除しました。'],
  customer_not_found: ['No customer matches.', '該当する顧客はいません。'],
  lookup_query_invalid: [
    'Enter a customer id, an email address or a phone number.',
    '顧客ID、メールアドレス、電話番号のいずれかを入力してください。',
  ],
  account_already_frozen: ['The account is already frozen.', 'すでに凍結されています。'],
  account_not_frozen: ['The account is not frozen.', 'このアカウントは凍結されていません。'],
  unfreeze_needs_second_operator: [
    'You froze this account; another security admin must unfreeze it.',
    'このアカウントを凍結したのはあなたです。別のセキュリティ管理者が解除してください。',
  ],
  operator_access_denied: ['Your role does not allow this.', 'このロールでは実行できません。'],
  card_data_not_allowed: [
    'The reason looks like it holds a card number; leave card numbers out.',
    'カード番号のような文字列が含まれています。カード番号は入力しないでください。',
  ],
  auditTitle: ['Audit trail', '監査ログ'],
  subjectType: ['Subject type', '対象の種類'],
  subjectId: ['Subject id', '対象ID'],
  actorType: ['Actor type', '実行者の種類'],
  actorId: ['Actor id', '実行者ID'],
  action: ['Action', 'アクション'],
  search: ['Search', '検索'],
  more: ['Load more', 'さらに読み込む'],
  none: ['No entries.', '該当なし'],
  seq: ['#', '#'],
  at: ['When', '日時'],
  actor: ['Actor', '実行者'],
  subject: ['Subject', '対象'],
  outcome: ['Outcome', '結果'],
  source: ['Source', '送信元'],
  detail: ['Detail', '詳細'],
  verifyTitle: ['Verify the audit chain', '監査チェーンの検証'],
  verifyIntro: [
    'Recomputes every entry hash and checks every signed checkpoint, and holds the database ' +
      "to this server's anchor file, kept outside the database.",
    'すべてのエントリのハッシュを再計算して署名付きチェックポイントを検証し、' +
      'データベースの外にあるこのサーバーのアンカーファイルと照合します。',
  ],
  runVerify: ['Run audit verify', '監査検証を実行'],
  verifyOk: [
    'The chain holds: {entries} entries, {checkpoints} checkpoints verified.',
    'チェーンは正常です: {entries} 件のエントリ、{checkpoints} 件のチェックポイントを検証しました。',
  ],
  uncoveredNone: [
    'Every entry is covered by a signed checkpoint.',
    'すべてのエントリが署名付きチェックポイントで保護されています。',
  ],
  uncoveredSome: [
    'Not yet covered by a signed checkpoint: the newest {count}. New entries are normally ' +
      'signed within seconds; until then, deleting them would go unnoticed.',
    '最新の {count} 件のエントリはまだ署名付きチェックポイントで保護されていません。' +
      '通常は数秒以内に署名されます。それまでは削除されても検知できません。',
  ],
  anchorNone: [
    'No anchor file was checked on this server (none is configured, or none was written yet), ' +
      'so deleted checkpoints could go unnoticed.',
    'このサーバーではアンカーファイルを照合していません（未設定、またはまだ書き込まれていません）。' +
      'チェックポイントが削除されても検知できない可能性があります。',
  ],
  anchorCurrent: [
    "This server's anchor matches the newest checkpoint (entry {seq}).",
    'このサーバーのアンカーは最新のチェックポイント（エントリ {seq}）と一致しています。',
  ],
  anchorBehind: [
    "This server's anchor lags the newest checkpoint: it stops at entry {seq}, {behind} short " +
      'of it. Checkpoints after that are checked against the database alone; run verify on an ' +
      'up-to-date server to cover them.',
    'このサーバーのアンカーは最新のチェックポイントより {behind} 件遅れています' +
      '（最後の更新はエントリ {seq}）。それ以降のチェックポイントはデータベースだけで' +
      '検証されています。最新のサーバーで検証を実行してください。',
  ],
  anchorUnreadable: [
    'Unreadable lines in the anchor file: {count} (a write cut short by a crash, or damage).',
    'アンカーファイルに読み取れない行が {count} 行あります（書き込み中のクラッシュ、または破損）。',
  ],
  anchorBroken: [
    'The database disagrees with the anchor kept outside it: checkpoints or entries were ' +
      'deleted or rewritten.',
    'データベースがデータベース外のアンカーと一致しません。' +
      'チェックポイントまたはエントリが削除・改ざんされています。',
  ],
  verifyBad: [
    'The chain is broken at entry {seq}: {problem}',
    'エントリ {seq} で不整合: {problem}',
  ],
  eventsTitle: ['Credential stuffing and lockouts', 'リスト型攻撃とロックアウト'],
  throttled: ['Throttled source networks', '制限中の送信元ネットワーク'],
  network: ['Network', 'ネットワーク'],
  failures: ['Failures', '失敗回数'],
  blockedUntil: ['Blocked until', 'ブロック期限'],
  detected: ['Detected', '検知日時'],
  stuffing: ['Stuffing detected', 'リスト型攻撃の検知'],
  locked: ['Operator lockouts', 'オペレーターのロック'],
  disabled: ['Passwords disabled after failures', '失敗によるパスワード無効化'],
  loginFailed: ['Failed customer sign-ins', '顧客ログイン失敗'],
  denied: ['Your role cannot see this.', 'このロールでは閲覧できません。'],
  // Credential-stuffing detections.
  detections: ['Stuffing detections', 'リスト型攻撃の検知'],
  openDetections: ['Open', '未確認'],
  realm: ['Sign-in', 'ログイン種別'],
  realmCustomer: ['Customers', '顧客'],
  realmOperator: ['Operators', 'オペレーター'],
  realmMerchant: ['Merchant dashboards', '加盟店ダッシュボード'],
  acknowledged: ['Acknowledged', '確認'],
  note: ['Note', 'メモ'],
  acknowledge: ['Acknowledge', '確認済みにする'],
  noneOpen: ['No open detections.', '未確認の検知はありません。'],
  // Kill switches.
  navSwitches: ['Kill switches', 'キルスイッチ'],
  switchesTitle: ['Kill switches', 'キルスイッチ'],
  switchesNote: [
    'A switch suspends a service in every Kinko process within a second. Lifting one takes ' +
      'two security admins: one asks, another approves.',
    'スイッチは1秒以内にすべてのKinkoプロセスでサービスを停止します。解除には2人のセキュリティ管理者' +
      '（申請と承認）が必要です。',
  ],
  switchesOn: ['On now', '現在オン'],
  noSwitchesOn: [
    'No switch is on: every service runs.',
    'オンのスイッチはありません。全サービス稼働中です。',
  ],
  recentlyLifted: ['Recently lifted', '最近解除されたスイッチ'],
  operation: ['Service', 'サービス'],
  scope: ['Scope', '範囲'],
  scopeValue: ['Scope value', '範囲の値'],
  scopeValueHint: [
    'Brand (visa), BIN range (424200-424299), card type (prepaid), an id, or a network ' +
      '(203.0.113.0/24). Empty for all.',
    'ブランド（visa）、BIN範囲（424200-424299）、カード種別（prepaid）、ID、ネットワーク' +
      '（203.0.113.0/24）。全体なら空欄。',
  ],
  since: ['Since', '開始'],
  by: ['By', '実行者'],
  incident: ['Incident', 'インシデント'],
  incidentId: ['Incident id (optional)', 'インシデントID（任意）'],
  turnOn: ['Turn on', 'オンにする'],
  turnOnTitle: ['Turn a switch on', 'スイッチをオンにする'],
  turnedOn: ['Switch turned on.', 'スイッチをオンにしました。'],
  requestLift: ['Request lift', '解除を申請'],
  liftReason: ['Why lift it', '解除の理由'],
  approveLift: ['Approve lift', '解除を承認'],
  liftRequestedBy: ['Lift requested by {who}: {reason}', '{who} が解除を申請: {reason}'],
  liftWaits: ['Another security admin approves.', '別のセキュリティ管理者が承認します。'],
  lifted: ['Lifted', '解除'],
  liftedBy: ['Lifted by', '解除した人'],
  sw_on: ['On', 'オン'],
  sw_lift_requested: ['Lift requested', '解除申請中'],
  sw_lifted: ['Lifted', '解除済み'],
  op_sign_up: ['Sign-up', '新規登録'],
  op_login: ['Sign-in', 'ログイン'],
  op_recovery: ['Account recovery', 'アカウント復旧'],
  op_new_devices: ['New devices', '新しいデバイスの追加'],
  op_card_linking: ['Card linking', 'カード登録'],
  op_topups: ['Top-ups', 'チャージ'],
  op_code_payments: ['Code payments', 'コード決済'],
  op_store_qr_payments: ['Store QR payments', '店舗QR決済'],
  op_web_payments: ['Web payments', 'ネット決済'],
  op_refunds: ['Refunds', '返金処理'],
  op_webhooks_out: ['Webhook deliveries', 'Webhook送信'],
  op_everything: ['Everything', 'すべて'],
  sc_all: ['All', 'すべて'],
  sc_card_brand: ['Card brand', 'カードブランド'],
  sc_bin_range: ['BIN range', 'BIN範囲'],
  sc_card_type: ['Card type', 'カード種別'],
  sc_merchant: ['One merchant', '特定の加盟店'],
  sc_store: ['One store', '特定の店舗'],
  sc_terminal: ['One terminal', '特定のレジ端末'],
  sc_customer: ['One customer', '特定の顧客'],
  sc_device: ['One device', '特定のデバイス'],
  sc_source: ['Network (CIDR)', 'ネットワーク（CIDR）'],
} as const);

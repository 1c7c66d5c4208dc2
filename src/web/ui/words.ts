import type { Strings } from './i18n.tsx';

// The words more than one app says, English then Japanese, each written once so that the
// wallet, the register, the dashboard and the console cannot drift apart. An app's own
// table (apps/*/strings.ts) holds only its own words and is joined to these by appStrings,
// which refuses, at compile time, an own word under a shared word's name.

export const WORDS = {
  signIn: ['Sign in', 'ログイン'],
  signOut: ['Sign out', 'ログアウト'],
  security: ['Security', 'セキュリティ'],
  addPasskey: ['Add a passkey', 'パスキーを追加'],
  remove: ['Remove', '削除'],
  password: ['Password', 'パスワード'],
  cancel: ['Cancel', 'キャンセル'],
  amount: ['Amount', '金額'],
  amountYen: ['Amount (¥)', '金額（円）'],
  balance: ['Balance', '残高'],
  type: ['Type', '種別'],
  status: ['Status', '状態'],
  created: ['Created', '作成日時'],
  when: ['Date', '日時'],
  reason: ['Reason', '理由'],
  store: ['Store', '店舗'],
  terminalSecret: ['Terminal secret', '端末シークレット'],
  print: ['Print', '印刷'],
  history: ['History', '履歴'],
  attempts: ['Attempts', '試行回数'],
  stopCamera: ['Stop camera', 'カメラを停止'],
  refund: ['Refund', '返金'],
  refundAmount: ['Amount to refund (¥)', '返金額（円）'],
  refundExact: ['Refund {amount}', '{amount} を返金する'],
  refunded: ['Refunded {amount}.', '{amount} を返金しました。'],
} as const satisfies Strings;

type Shared = typeof WORDS;

/** An app's table: the shared words and its own, none of which may reuse a shared name. */
export function appStrings<Own extends Strings>(
  own: Own & { [K in keyof Shared]?: never },
): Shared & Own {
  return { ...WORDS, ...own };
}

import type { ApiErrorBody } from './api.ts';
import type { Lang } from './i18n.tsx';

// What a person reads when a kill switch refuses their request (503 service_suspended): the
// API names what is suspended in words (English) and by name (`suspended`, `scope`), from
// which the Japanese sentence is built. Every app shows it through errorText (kit.tsx): the
// wallet, the register, the dashboard and the console.

const OPERATION_JA: Readonly<Record<string, string>> = {
  sign_up: '新規登録',
  login: 'ログイン',
  recovery: 'アカウントの復旧',
  new_devices: '新しいデバイスの追加',
  card_linking: 'カードの登録',
  topups: 'チャージ',
  code_payments: 'コード決済',
  store_qr_payments: '店舗QRコードでの支払い',
  web_payments: 'ネット決済',
  refunds: '返金',
  webhooks_out: 'Webhookの送信',
  everything: 'すべてのサービス',
};

const SCOPE_JA: Readonly<Record<string, string>> = {
  card_brand: 'このカードブランドでの',
  bin_range: 'このカードでの',
  card_type: 'この種類のカードでの',
  merchant: 'この加盟店での',
  store: 'この店舗での',
  terminal: 'このレジでの',
  customer: 'このアカウントの',
  device: 'このデバイスからの',
  source: 'このネットワークからの',
};

/** The sentence for a service_suspended answer, in the reader's language. */
export function suspendedText(body: ApiErrorBody, lang: Lang): string {
  const operation = typeof body['suspended'] === 'string' ? body['suspended'] : '';
  const scope = typeof body['scope'] === 'string' ? body['scope'] : '';
  if (lang !== 'ja') {
    return body.message ?? 'This service is suspended for now. Please try again later.';
  }
  const what = OPERATION_JA[operation] ?? 'このサービス';
  return `${SCOPE_JA[scope] ?? ''}${what}は、現在Kinkoにより一時停止されています。時間をおいてお試しください。`;
}

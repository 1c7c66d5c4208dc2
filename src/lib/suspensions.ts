// What a kill switch can suspend and how narrowly it can aim: the names the switches module
// enforces and the console's switch panel offers, defined once. No imports, so the browser
// bundles it as it is.

/** The operations a switch can suspend; `everything` only with a scope (one merchant…). */
export const OPERATIONS = [
  'sign_up',
  'login',
  'recovery',
  'new_devices',
  'card_linking',
  'topups',
  'code_payments',
  'store_qr_payments',
  'web_payments',
  'refunds',
  'webhooks_out',
  'everything',
] as const;
export type Operation = (typeof OPERATIONS)[number];

export const SCOPE_TYPES = [
  'all',
  'card_brand',
  'bin_range',
  'card_type',
  'merchant',
  'store',
  'terminal',
  'customer',
  'device',
  'source',
] as const;
export type ScopeType = (typeof SCOPE_TYPES)[number];

// The wallet endpoints of the payments API, in one place.

export const W = {
  wallet: '/v1/wallet',
  history: '/v1/wallet/history',
  cards: '/v1/wallet/cards',
  topups: '/v1/wallet/topups',
  topupConfirm: (id: string) => `/v1/wallet/topups/${encodeURIComponent(id)}/confirm`,
  limits: '/v1/wallet/limits',
  paymentCodes: '/v1/wallet/payment_codes',
  codePaymentsNext: '/v1/wallet/code_payments/next',
  storePayments: '/v1/wallet/store_payments',
  accountDelete: '/v1/wallet/account/delete',
  hostedLoaderSri: '/js/kinko.js.sri',
} as const;

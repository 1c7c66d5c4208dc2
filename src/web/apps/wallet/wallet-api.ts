// The wallet endpoints of the payments API, in one place.

export const W = {
  wallet: '/v1/wallet',
  history: '/v1/wallet/history',
  cards: '/v1/wallet/cards',
  topups: '/v1/wallet/topups',
  topupComplete: (id: string) => `/v1/wallet/topups/${encodeURIComponent(id)}/complete`,
  paymentCodes: '/v1/wallet/payment_codes',
  storePayments: '/v1/wallet/store_payments',
  hostedLoaderSri: '/js/kinko.js.sri',
} as const;

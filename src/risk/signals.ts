// The named signals a rule may read, as data: a rule naming anything else is refused when it
// is drafted. Every signal is present on every decision (a number, a string or a boolean),
// so a condition never compares with a missing value; times since an event that never
// happened are NEVER_MINUTES. Velocity signals count what came before this attempt.

/** "Never happened", in minutes: about ten years. */
export const NEVER_MINUTES = 5_256_000;

/** Windows of the velocity signals, by their suffix. */
export const VELOCITY_WINDOWS = { '1m': 60, '1h': 3600, '1d': 86_400 } as const;

/** What velocity is counted per; `customer_topup` is a customer's top-ups, read on payments. */
export const VELOCITY_DIMENSIONS = [
  'customer',
  'device',
  'card',
  'source',
  'store',
  'terminal',
  'customer_topup',
] as const;
export type VelocityDimension = (typeof VELOCITY_DIMENSIONS)[number];

const BASE_SIGNALS: Record<string, string> = {
  kind: 'topup, code_issue, code_payment, store_payment, web_payment, card_link, device_confirm',
  amount: 'the amount in yen (minor units)',
  account_age_days: 'days since the account was created',
  account_tier: 'standard, new or cooldown (just after a post-recovery hold)',
  security_change_minutes: 'minutes since the last recovery, contact, password or factor change',
  device_known: 'the device was confirmed more than a day ago',
  device_age_minutes: 'minutes since the device was confirmed (about ten years when none)',
  device_accounts: 'accounts ever bound on this device key',
  source_prefix: 'the source network: an IPv4 /24 or an IPv6 /64',
  source_home:
    'the source address is in the home country (Japan) per the loaded registry table; ' +
    'true when no table is loaded or the address is internal',
  source_accounts_1d:
    'distinct customers who signed in from this network in the last day (0: an internal address)',
  source_failures_1h: 'sign-in failures from this network in the current hour',
  card_other_customers: 'other customers with a card of the same fingerprint',
  card_funding: 'credit, debit, prepaid or unknown, from the loaded BIN table (card ranges)',
  card_country: "the card issuer's country (two letters) from the BIN table, or unknown",
  amount_max_30d:
    "the customer's largest payment (for payments) or top-up (for top-ups) in 30 days (0: none)",
  amount_ratio_30d: 'amount ÷ that largest amount (amount itself when there is none)',
  amount_median_30d: "the median of the customer's last 50 such amounts in 30 days (0: none)",
  amount_ratio_median_30d: 'amount ÷ that median (amount itself when there is none)',
  merchant_category: 'the merchant category (tobacco, gift_cards, cosmetics, …; unknown)',
  high_resale: 'the merchant sells easily resold goods (tobacco, gift cards, cosmetics, …)',
};

/** Every signal name with what it means (docs/risk.md is written from this). */
export const SIGNALS: Readonly<Record<string, string>> = Object.freeze({
  ...BASE_SIGNALS,
  ...Object.fromEntries(
    VELOCITY_DIMENSIONS.flatMap((d) =>
      Object.keys(VELOCITY_WINDOWS).flatMap((w) => [
        [`${d}_count_${w}`, `${d.replace('_', ' ')} attempts in the last ${w}`],
        [`${d}_yen_${w}`, `${d.replace('_', ' ')} yen in the last ${w}`],
      ]),
    ),
  ),
});

export type Signals = Record<string, number | string | boolean>;

/** Merchant categories whose goods are easily resold (7pay 2019: tobacco, cosmetics). */
export const HIGH_RESALE_CATEGORIES: ReadonlySet<string> = new Set([
  'tobacco',
  'gift_cards',
  'prepaid_cards',
  'cosmetics',
  'electronics',
]);

import { assert } from '../lib/assert.ts';

// Money is an integer count of a currency's minor unit, as bigint: ¥1,234 is 1234n JPY,
// $12.34 is 1234n USD. There is no float on any money path; parsing refuses a fraction
// the currency cannot hold instead of rounding it away.

export type AmountMinor = bigint & { readonly __brand: 'AmountMinor' };

export interface Currency {
  readonly code: string;
  /** Digits after the decimal point in the currency's minor unit (ISO 4217 "exponent"). */
  readonly scale: number;
}

// ISO 4217 exponents for the currencies Kinko settles or cards are issued in.
const CURRENCIES: Readonly<Record<string, number>> = {
  JPY: 0,
  KRW: 0,
  VND: 0,
  CLP: 0,
  ISK: 0,
  USD: 2,
  EUR: 2,
  GBP: 2,
  CNY: 2,
  HKD: 2,
  TWD: 2,
  SGD: 2,
  AUD: 2,
  CAD: 2,
  CHF: 2,
  THB: 2,
  PHP: 2,
  MYR: 2,
  IDR: 2,
  INR: 2,
  NZD: 2,
  BHD: 3,
  KWD: 3,
  JOD: 3,
  OMR: 3,
  TND: 3,
};

/** Largest amount Kinko stores: PostgreSQL int8's maximum. */
export const AMOUNT_MINOR_MAX = 9_223_372_036_854_775_807n;

export function isCurrency(code: string): boolean {
  return Object.hasOwn(CURRENCIES, code);
}

export function currency(code: string): Currency {
  const scale = CURRENCIES[code];
  if (scale === undefined || !Object.hasOwn(CURRENCIES, code))
    throw new MoneyError('currency_unknown', code);
  return { code, scale };
}

export class MoneyError extends Error {
  override name = 'MoneyError';
  constructor(
    readonly reason:
      'currency_unknown' | 'amount_malformed' | 'amount_too_precise' | 'amount_too_large',
    detail: string,
  ) {
    super(`${reason}: ${detail}`);
  }
}

const DECIMAL = /^(-)?(\d{1,19})(?:\.(\d{1,19}))?$/;

/** Parses a decimal string ("1234", "12.34") into minor units, refusing excess precision. */
export function parseAmount(text: string, code: string): AmountMinor {
  const { scale } = currency(code);
  const m = DECIMAL.exec(text);
  if (!m) throw new MoneyError('amount_malformed', `"${text}" is not a decimal amount`);
  const [, sign, whole, fraction = ''] = m;
  const significant = fraction.replace(/0+$/, '');
  if (significant.length > scale) {
    throw new MoneyError(
      'amount_too_precise',
      `${code} has ${scale} decimal places, got "${text}"`,
    );
  }
  const minor = BigInt(whole! + fraction.padEnd(scale, '0').slice(0, scale));
  if (minor > AMOUNT_MINOR_MAX) throw new MoneyError('amount_too_large', text);
  return (sign ? -minor : minor) as AmountMinor;
}

/** Formats minor units as a plain decimal string in the currency's scale ("12.34"). */
export function formatAmount(amount: bigint, code: string): string {
  const { scale } = currency(code);
  const negative = amount < 0n;
  const digits = (negative ? -amount : amount).toString().padStart(scale + 1, '0');
  const whole = digits.slice(0, digits.length - scale);
  const fraction = scale > 0 ? `.${digits.slice(digits.length - scale)}` : '';
  return `${negative ? '-' : ''}${whole}${fraction}`;
}

/** Formats for people: "¥1,234", "$12.34". */
export function displayAmount(amount: bigint, code: string, locale = 'en-US'): string {
  const plain = formatAmount(amount, code);
  // Intl takes a decimal string exactly (no float conversion) in Node ≥ 19.
  return new Intl.NumberFormat(locale, {
    style: 'currency',
    currency: code,
  }).format(plain as unknown as number);
}

export function amountMinor(value: bigint): AmountMinor {
  assert(value >= 0n && value <= AMOUNT_MINOR_MAX, `amount out of range: ${value}`);
  return value as AmountMinor;
}

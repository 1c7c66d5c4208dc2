// Money is an integer count of a currency's minor unit, as bigint: ¥1,234 is 1234n JPY,
// $12.34 is 1234n USD. There is no float on any money path; parsing refuses a fraction
// the currency cannot hold instead of rounding it away.
//
// Amounts are plain bigint, named for their unit (amountMinor, perTopupMinor): no branded
// type. A brand is lost by every arithmetic result and database row, so holding it at the
// module boundaries would take a cast at each of them (some 70 amount fields), and a cast
// checks nothing.

// ISO 4217 exponents (digits after the decimal point in the minor unit) for the currencies
// Kinko settles or cards are issued in.
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
const AMOUNT_MINOR_MAX = 9_223_372_036_854_775_807n;

export function isCurrency(code: string): boolean {
  return Object.hasOwn(CURRENCIES, code);
}

function scaleOf(code: string): number {
  const scale = CURRENCIES[code];
  if (scale === undefined || !Object.hasOwn(CURRENCIES, code))
    throw new MoneyError('currency_unknown', code);
  return scale;
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
export function parseAmount(text: string, code: string): bigint {
  const scale = scaleOf(code);
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
  return sign ? -minor : minor;
}

/** Formats minor units as a plain decimal string in the currency's scale ("12.34"). */
export function formatAmount(amount: bigint, code: string): string {
  const scale = scaleOf(code);
  const negative = amount < 0n;
  const digits = (negative ? -amount : amount).toString().padStart(scale + 1, '0');
  const whole = digits.slice(0, digits.length - scale);
  const fraction = scale > 0 ? `.${digits.slice(digits.length - scale)}` : '';
  return `${negative ? '-' : ''}${whole}${fraction}`;
}

import { luhnValid } from '../lib/redact.ts';

// Pure card rules: number normalisation, the Luhn check, brand from IIN ranges and the expiry
// check. Each failure names its field so that the caller can say which one is wrong, and none
// carries the number itself.

export type Brand = 'visa' | 'mastercard' | 'jcb' | 'amex' | 'diners' | 'discover' | 'unionpay';

export const BRANDS: readonly Brand[] = [
  'visa',
  'mastercard',
  'jcb',
  'amex',
  'diners',
  'discover',
  'unionpay',
];

interface IinRange {
  brand: Brand;
  /** Inclusive prefix bounds, compared on the first `from.length` digits. */
  from: string;
  to: string;
  lengths: readonly number[];
}

// Ordered so that the most specific range wins (Discover's 622126–622925 co-branding inside
// UnionPay's 62 is read as Discover, as Discover's own table says). Sources: the networks'
// published IIN tables (Visa 4; Mastercard 51–55 and 2221–2720; JCB 3528–3589; Amex 34, 37;
// Diners 300–305, 36, 38–39; Discover 6011, 644–649, 65, 622126–622925; UnionPay 62, 81).
const RANGES: readonly IinRange[] = [
  { brand: 'amex', from: '34', to: '34', lengths: [15] },
  { brand: 'amex', from: '37', to: '37', lengths: [15] },
  { brand: 'jcb', from: '3528', to: '3589', lengths: [16, 17, 18, 19] },
  { brand: 'diners', from: '300', to: '305', lengths: [14, 16, 17, 18, 19] },
  { brand: 'diners', from: '36', to: '36', lengths: [14, 15, 16, 17, 18, 19] },
  { brand: 'diners', from: '38', to: '39', lengths: [16, 17, 18, 19] },
  { brand: 'discover', from: '6011', to: '6011', lengths: [16, 17, 18, 19] },
  { brand: 'discover', from: '622126', to: '622925', lengths: [16, 17, 18, 19] },
  { brand: 'discover', from: '644', to: '649', lengths: [16, 17, 18, 19] },
  { brand: 'discover', from: '65', to: '65', lengths: [16, 17, 18, 19] },
  { brand: 'unionpay', from: '62', to: '62', lengths: [16, 17, 18, 19] },
  { brand: 'unionpay', from: '81', to: '81', lengths: [16, 17, 18, 19] },
  { brand: 'mastercard', from: '51', to: '55', lengths: [16] },
  { brand: 'mastercard', from: '2221', to: '2720', lengths: [16] },
  { brand: 'visa', from: '4', to: '4', lengths: [13, 16, 19] },
];

/** The brand whose IIN range holds the number's prefix, or undefined. */
export function brandOf(digits: string): Brand | undefined {
  for (const r of RANGES) {
    const prefix = digits.slice(0, r.from.length);
    if (prefix.length === r.from.length && prefix >= r.from && prefix <= r.to) return r.brand;
  }
  return undefined;
}

function lengthsOf(brand: Brand, digits: string): readonly number[] {
  const r = RANGES.find((x) => {
    const p = digits.slice(0, x.from.length);
    return x.brand === brand && p >= x.from && p <= x.to;
  });
  return r?.lengths ?? [];
}

export type CardProblem =
  | { field: 'number'; reason: 'format' | 'length' | 'luhn' | 'brand' }
  | { field: 'exp_month'; reason: 'range' }
  | { field: 'exp_year'; reason: 'range' }
  | { field: 'exp_year'; reason: 'expired' }
  | { field: 'cvc'; reason: 'format' };

export interface CardInput {
  number: string;
  expMonth: number;
  expYear: number;
}

export interface ValidCard {
  pan: string;
  brand: Brand;
  expMonth: number;
  expYear: number;
}

/** Digits only: spaces and dashes between groups are allowed, anything else is not. */
export function normalizeNumber(raw: string): string | undefined {
  if (!/^[0-9][0-9 -]{0,30}[0-9]$/.test(raw)) return undefined;
  return raw.replace(/[ -]/g, '');
}

export function validateNumber(raw: string): { pan: string; brand: Brand } | CardProblem {
  const pan = normalizeNumber(raw);
  if (pan === undefined) return { field: 'number', reason: 'format' };
  if (pan.length < 12 || pan.length > 19) return { field: 'number', reason: 'length' };
  if (!luhnValid(pan)) return { field: 'number', reason: 'luhn' };
  const brand = brandOf(pan);
  if (!brand) return { field: 'number', reason: 'brand' };
  if (!lengthsOf(brand, pan).includes(pan.length)) return { field: 'number', reason: 'length' };
  return { pan, brand };
}

/**
 * A card is valid through the last day of its expiry month. `now` is compared in UTC, which
 * is at most a day early for cardholders east of Greenwich; networks decide the edge anyway.
 */
export function validateExpiry(month: number, year: number, now: Date): CardProblem | undefined {
  if (!Number.isInteger(month) || month < 1 || month > 12)
    return { field: 'exp_month', reason: 'range' };
  const thisYear = now.getUTCFullYear();
  if (!Number.isInteger(year) || year < 2000 || year > thisYear + 20) {
    return { field: 'exp_year', reason: 'range' };
  }
  const thisMonth = now.getUTCMonth() + 1;
  if (year < thisYear || (year === thisYear && month < thisMonth)) {
    return { field: 'exp_year', reason: 'expired' };
  }
  return undefined;
}

/** Three digits, or four for American Express (its CID). */
export function validateCvc(cvc: string, brand: Brand): CardProblem | undefined {
  const ok = brand === 'amex' ? /^[0-9]{4}$/.test(cvc) : /^[0-9]{3}$/.test(cvc);
  return ok ? undefined : { field: 'cvc', reason: 'format' };
}

export function validateCard(input: CardInput, now: Date): ValidCard | CardProblem {
  const number = validateNumber(input.number);
  if ('field' in number) return number;
  const expiry = validateExpiry(input.expMonth, input.expYear, now);
  if (expiry) return expiry;
  return { pan: number.pan, brand: number.brand, expMonth: input.expMonth, expYear: input.expYear };
}

/** Display data: BIN (first six) and last four, the most PCI DSS 3.4.1 allows. */
export function displayOf(pan: string): { bin: string; last4: string } {
  return { bin: pan.slice(0, 6), last4: pan.slice(-4) };
}

import {
  brandLengths,
  brandOf,
  CARD_DIGITS_MAX,
  CARD_DIGITS_MIN,
  luhnValid,
  type Brand,
} from '../lib/card-numbers.ts';

export { brandOf, type Brand } from '../lib/card-numbers.ts';

// Pure card rules: number normalisation, the Luhn check, brand from IIN ranges and the expiry
// check. The IIN table is lib/card-numbers.ts's, the one every card-number guard uses, so a
// number the vault accepts is exactly one the guards recognise. Each failure names its field
// so that the caller can say which one is wrong, and none carries the number itself.

export type CardProblem =
  | { field: 'number'; reason: 'format' | 'length' | 'luhn' | 'brand' }
  | { field: 'exp_month'; reason: 'range' }
  | { field: 'exp_year'; reason: 'range' }
  | { field: 'exp_year'; reason: 'expired' }
  | { field: 'cvc'; reason: 'format' };

interface CardInput {
  number: string;
  expMonth: number;
  expYear: number;
}

interface ValidCard {
  pan: string;
  brand: Brand;
  expMonth: number;
  expYear: number;
}

/** Digits only: spaces and dashes between groups are allowed, anything else is not. */
function normalizeNumber(raw: string): string | undefined {
  if (!/^[0-9][0-9 -]{0,30}[0-9]$/.test(raw)) return undefined;
  return raw.replace(/[ -]/g, '');
}

export function validateNumber(raw: string): { pan: string; brand: Brand } | CardProblem {
  const pan = normalizeNumber(raw);
  if (pan === undefined) return { field: 'number', reason: 'format' };
  if (pan.length < CARD_DIGITS_MIN || pan.length > CARD_DIGITS_MAX)
    return { field: 'number', reason: 'length' };
  if (!luhnValid(pan)) return { field: 'number', reason: 'luhn' };
  const brand = brandOf(pan);
  if (!brand) return { field: 'number', reason: 'brand' };
  if (!brandLengths(pan).includes(pan.length)) return { field: 'number', reason: 'length' };
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

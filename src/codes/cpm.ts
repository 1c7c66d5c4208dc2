import { createHmac, randomInt } from 'node:crypto';
import { assert } from '../lib/assert.ts';
import type { CodesErrorCode } from './errors.ts';

// One-time payment codes for consumer-presented mode (CPM): the wallet shows a code, the
// register scans it. A code is 22 decimal digits:
//
//   58 | 19 random digits | 1 Damm check digit
//
// - The prefix "58" tells a register (and Kinko) that the code is Kinko's, so a code of
//   another scheme is refused as `code_wrong_prefix` without a database lookup.
// - 19 random digits carry 19·log2(10) ≈ 63.1 bits from node:crypto, above the 60 bits the
//   design asks for; guessing is further bounded by expiry, single use and rate limits.
// - The Damm check digit (H. M. Damm, 2004) detects every single-digit error and every
//   adjacent transposition, which is what a cashier typing a code by hand gets wrong. Luhn
//   misses the 09↔90 transposition; Verhoeff detects the same errors with three tables where
//   Damm needs one. A mistyped code is thus told apart from a wrong one before any lookup.
// - 22 digits is even, so Code 128 encodes it compactly in code set C (two digits a symbol).
// Codes are stored only as an HMAC-SHA256 under a dedicated key (paymentCodeHmac).

export type PaymentCode = string & { readonly __brand: 'PaymentCode' };

export const PAYMENT_CODE_PREFIX = '58';
const PAYMENT_CODE_RANDOM_DIGITS = 19;
export const PAYMENT_CODE_DIGITS = PAYMENT_CODE_PREFIX.length + PAYMENT_CODE_RANDOM_DIGITS + 1;
/** Longest text parsePaymentCode looks at, spaces and dashes included; longer is malformed. */
const PAYMENT_CODE_TEXT_CHARS_MAX = 64;
/** HMAC keys shorter than SHA-256's output would weaken the stored code hashes. */
const PAYMENT_CODE_HMAC_KEY_BYTES_MIN = 32;

// The totally anti-symmetric quasigroup of order 10 from Damm's thesis, as published (and
// reproduced in the Wikipedia article "Damm algorithm"). damm.test.ts checks its defining
// properties exhaustively, so a mistyped entry cannot pass unnoticed.
export const DAMM_TABLE: ReadonlyArray<ReadonlyArray<number>> = [
  [0, 3, 1, 7, 5, 9, 8, 6, 4, 2],
  [7, 0, 9, 2, 1, 5, 4, 8, 6, 3],
  [4, 2, 0, 6, 8, 7, 1, 3, 5, 9],
  [1, 7, 5, 0, 9, 8, 3, 4, 2, 6],
  [6, 1, 2, 3, 0, 4, 5, 9, 7, 8],
  [3, 6, 7, 4, 2, 0, 9, 5, 8, 1],
  [5, 8, 6, 9, 7, 2, 0, 1, 3, 4],
  [8, 9, 4, 5, 3, 6, 2, 0, 1, 7],
  [9, 4, 3, 8, 6, 1, 7, 2, 0, 5],
  [2, 5, 8, 1, 4, 3, 6, 7, 9, 0],
];

function dammInterim(digits: string): number {
  let interim = 0;
  for (let i = 0; i < digits.length; i++) {
    const d = digits.charCodeAt(i) - 48;
    assert(d >= 0 && d <= 9, 'damm: digits only');
    interim = DAMM_TABLE[interim]![d]!;
  }
  return interim;
}

/** The Damm check digit to append to `digits` (decimal digits only). */
export function dammCheckDigit(digits: string): string {
  return String(dammInterim(digits));
}

/** True when the last digit of `digits` is the Damm check digit of the others. */
export function dammValid(digits: string): boolean {
  return /^\d+$/.test(digits) && dammInterim(digits) === 0;
}

function randomDigits(count: number): string {
  // crypto.randomInt draws without modulo bias; its range must stay below 2^48, so ten
  // digits are drawn at a time.
  let out = '';
  while (out.length < count) {
    const take = Math.min(10, count - out.length);
    out += String(randomInt(0, 10 ** take)).padStart(take, '0');
  }
  return out;
}

/** A new one-time payment code: Kinko's prefix, 19 random digits, a Damm check digit. */
export function generatePaymentCode(): PaymentCode {
  const body = PAYMENT_CODE_PREFIX + randomDigits(PAYMENT_CODE_RANDOM_DIGITS);
  const code = body + dammCheckDigit(body);
  assert(code.length === PAYMENT_CODE_DIGITS, 'payment code length');
  return code as PaymentCode;
}

type PaymentCodeParse =
  | { readonly ok: true; readonly code: PaymentCode }
  | { readonly ok: false; readonly reason: CodesErrorCode };

// People type codes from a screen in groups, and Japanese input methods produce full-width
// digits and spaces; both are read as the code they mean. Nothing else is tolerated.
function normalise(text: string): string {
  return text
    .replace(/[\uFF10-\uFF19]/g, (c) => String.fromCharCode(c.charCodeAt(0) - 0xfee0))
    .replace(/[ \u3000-]/g, '');
}

/**
 * Reads a scanned or typed code. Answers, in precedence order, `code_malformed` (not 22
 * digits), `code_wrong_prefix` (not Kinko's) or `code_bad_check_digit` (mistyped).
 */
export function parsePaymentCode(text: string): PaymentCodeParse {
  if (text.length > PAYMENT_CODE_TEXT_CHARS_MAX) return { ok: false, reason: 'code_malformed' };
  const digits = normalise(text);
  if (digits.length !== PAYMENT_CODE_DIGITS || !/^\d+$/.test(digits)) {
    return { ok: false, reason: 'code_malformed' };
  }
  if (!digits.startsWith(PAYMENT_CODE_PREFIX)) return { ok: false, reason: 'code_wrong_prefix' };
  if (!dammValid(digits)) return { ok: false, reason: 'code_bad_check_digit' };
  return { ok: true, code: digits as PaymentCode };
}

/**
 * HMAC-SHA256 of the code's 22 ASCII digits under a key used for nothing else. Codes are
 * stored and looked up only by this value, so a database copy does not reveal live codes.
 */
export function paymentCodeHmac(key: Uint8Array, code: PaymentCode): Buffer {
  assert(key.length >= PAYMENT_CODE_HMAC_KEY_BYTES_MIN, 'payment code HMAC key too short');
  assert(/^\d+$/.test(code) && code.length === PAYMENT_CODE_DIGITS, 'not a parsed payment code');
  return createHmac('sha256', key).update(code, 'ascii').digest();
}

/** The code in groups of four digits for display: "5812 3456 7890 1234 5678 90". */
export function formatPaymentCode(code: PaymentCode): string {
  return code.replace(/(\d{4})(?=\d)/g, '$1 ');
}

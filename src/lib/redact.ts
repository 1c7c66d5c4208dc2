import { holdsCardNumber, maskCardNumbers } from './card-numbers.ts';

// Redaction of secrets and card data before anything is logged or shown (GMO-PG 2017:
// card data and security codes must never reach a log). Two nets: sensitive keys are
// replaced whatever their value, and card numbers (the one detector, lib/card-numbers.ts:
// brand, length, Luhn, printed groupings, standing apart from longer tokens) are masked
// inside any string.

export const REDACTED = '[redacted]';

const SENSITIVE_KEY = new RegExp(
  '^(' +
    [
      'pass(word|phrase)?',
      'new_?password',
      'secret',
      '.*_secret',
      'secret_.*',
      'api_?key',
      'token',
      '.*_token',
      'authorization',
      'cookie',
      'set-cookie',
      'cvv2?',
      'cvc2?',
      'csc',
      'cid',
      'security_?code',
      'card_?number',
      'pan',
      'number',
      'otp',
      'totp',
      'recovery_?code',
      'payment_?code',
      'private_?key',
      'kek',
      'data_?key',
    ].join('|') +
    ')$',
  'i',
);

/** Text with every card number (lib/card-numbers.ts decides what one is) masked. */
export function maskPans(text: string): string {
  return maskCardNumbers(text);
}

// Keys repeat (every ledger entry has an amount): answers are remembered, up to a bound.
const KEY_ANSWERS_MAX = 4096;
const keyAnswers = new Map<string, boolean>();

export function isSensitiveKey(key: string): boolean {
  let answer = keyAnswers.get(key);
  if (answer === undefined) {
    answer = SENSITIVE_KEY.test(key);
    if (keyAnswers.size < KEY_ANSWERS_MAX) keyAnswers.set(key, answer);
  }
  return answer;
}

const DEPTH_MAX = 8;

/** Returns a copy of value with sensitive keys replaced and PAN-like strings masked. */
export function scrub(value: unknown, depth = 0): unknown {
  if (typeof value === 'string') return maskPans(value);
  if (typeof value === 'bigint' || (typeof value === 'number' && Number.isInteger(value))) {
    const text = String(value);
    return text.length >= 13 && holdsCardNumber(text) ? REDACTED : value;
  }
  if (value === null || typeof value !== 'object') return value;
  if (depth >= DEPTH_MAX) return '[depth limit]';
  if (Array.isArray(value)) return value.map((v) => scrub(v, depth + 1));
  if (value instanceof Error) {
    return {
      type: value.name,
      message: maskPans(value.message),
      stack: maskPans(value.stack ?? ''),
    };
  }
  if (value instanceof Date || Buffer.isBuffer(value)) return value;
  // Other class instances (a request, a socket) are left to their logger serializers,
  // which pick safe fields; copying their own properties would both leak and break them.
  const proto: unknown = Object.getPrototypeOf(value);
  if (proto !== Object.prototype && proto !== null) return value;
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value)) {
    out[k] = isSensitiveKey(k) && v !== null && v !== undefined ? REDACTED : scrub(v, depth + 1);
  }
  return out;
}

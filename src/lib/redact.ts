// Redaction of secrets and card data before anything is logged or shown (GMO-PG 2017:
// card data and security codes must never reach a log). Two nets: sensitive keys are
// replaced whatever their value, and card-number-like digit runs (13–19 digits, Luhn-valid,
// contiguous or in card groupings with spaces or dashes) are masked inside any string.

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

// Card numbers are written contiguous (13–19 digits) or in the groups printed on cards, with
// spaces or dashes: 4-4-4-4 with an optional 3 (16 or 19 digits), Amex 4-6-5, Diners 4-6-4.
// Other groupings are not cards: a UUID whose groups happen to be all digits (8-4-4-4-12)
// must not be masked, so a grouped number must also stand apart from letters and digits.
// Neither form may touch a digit or a decimal point, so a float such as 0.6348019999995813
// is left alone.
const PAN_CONTIGUOUS = '(?<![\\d.])\\d{13,19}(?!\\d|\\.\\d)';
const PAN_GROUPED =
  '(?<![0-9A-Za-z.])' +
  '(?:\\d{4}[ -]\\d{4}[ -]\\d{4}[ -]\\d{4}(?:[ -]\\d{3})?|\\d{4}[ -]\\d{6}[ -]\\d{4,5})' +
  '(?![0-9A-Za-z]|\\.\\d)';
const PAN_LIKE = new RegExp(`${PAN_CONTIGUOUS}|${PAN_GROUPED}`, 'g');

export function luhnValid(digits: string): boolean {
  let sum = 0;
  let double = false;
  for (let i = digits.length - 1; i >= 0; i--) {
    let d = digits.charCodeAt(i) - 48;
    if (d < 0 || d > 9) return false;
    if (double) {
      d *= 2;
      if (d > 9) d -= 9;
    }
    sum += d;
    double = !double;
  }
  return digits.length > 0 && sum % 10 === 0;
}

/**
 * Whether text holds 13 digits with nothing but spaces and dashes between them: every
 * PAN_LIKE match does, and most strings (ids, amounts, names) do not, so they skip the
 * regular expression.
 */
function mayHoldPan(text: string): boolean {
  let digits = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c >= 48 && c <= 57) {
      if (++digits >= 13) return true;
    } else if (c !== 32 && c !== 45) {
      digits = 0;
    }
  }
  return false;
}

export function maskPans(text: string): string {
  if (!mayHoldPan(text)) return text;
  return text.replace(PAN_LIKE, (match: string, at: number) => {
    const digits = match.replace(/[ -]/g, '');
    // "+" and at most 15 digits is an international phone number (E.164 allows no more), as
    // every SMS notice carries: one Chinese mobile number in ten (+86 and 11 digits) would
    // otherwise pass Luhn and be taken for a card. No card number is written after a "+".
    if (at > 0 && text.charCodeAt(at - 1) === PLUS && digits.length <= E164_DIGITS_MAX) {
      return match;
    }
    if (digits.length >= 13 && digits.length <= 19 && luhnValid(digits)) return PAN_REDACTED;
    // 4-4-4-4 and a 3 may be a 16-digit card followed by its security code: both go.
    const grouped = digits.length === 19 && match.length === 23;
    return grouped && luhnValid(digits.slice(0, 16)) ? PAN_REDACTED : match;
  });
}

const PAN_REDACTED = '[pan redacted]';
const PLUS = 0x2b;
const E164_DIGITS_MAX = 15;

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
    return text.length >= 13 && maskPans(text) !== text ? REDACTED : value;
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

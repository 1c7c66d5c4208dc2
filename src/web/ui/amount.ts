// The one reader of amounts typed into the apps (top-ups, limits, store payments, register
// charges and refunds, dashboard refunds). People type "1,000", "１，０００" on a Japanese
// keyboard, or "¥1,000"; a reader that stops at the first comma turns all of those into ¥1,
// so every form reads its amount here and nowhere else. The answer is bigint minor units
// (JPY has none): no float ever holds money, and anything the rules below do not describe
// exactly is refused with a sentence, never guessed at.
//
// Accepted, after Unicode NFKC folding (full-width digits, "，" and "￥" become ASCII):
//   an optional yen sign "¥", then either plain digits ("1000") or digits grouped in threes
//   by commas ("1,000", "12,345,678"), with spaces around the whole allowed.
// Refused: empty text, decimals ("1.5", "1,000.00"), minus signs, exponents, wrong groups
// ("1,00", "10,00,000"), leading zeros before a group ("01,000"), any other character, and
// amounts outside [min, max].

type AmountProblem = 'empty' | 'format' | 'too_small' | 'too_large';

export type AmountReading =
  { ok: true; minor: bigint } | { ok: false; problem: AmountProblem; min: bigint; max: bigint };

export interface AmountBounds {
  /** Smallest amount accepted, in minor units (default 1). */
  min?: bigint;
  /** Largest amount accepted, in minor units (default AMOUNT_MINOR_MAX). */
  max?: bigint;
}

/** The API's largest single amount (payments.amountMinorMax), ¥10,000,000. */
export const AMOUNT_MINOR_MAX = 10_000_000n;

/** Longest text looked at: longer than any amount the API takes, short enough for BigInt. */
const AMOUNT_CHARS_MAX = 32;

const PLAIN = /^\d+$/;
const GROUPED = /^[1-9]\d{0,2}(?:,\d{3})+$/;

export function parseAmount(text: string, bounds: AmountBounds = {}): AmountReading {
  const min = bounds.min ?? 1n;
  const max = bounds.max ?? AMOUNT_MINOR_MAX;
  const refuse = (problem: AmountProblem): AmountReading => ({ ok: false, problem, min, max });
  const folded = text.normalize('NFKC').trim();
  if (folded === '') return refuse('empty');
  if (folded.length > AMOUNT_CHARS_MAX) return refuse('format');
  const digits = folded.startsWith('¥') ? folded.slice(1).trimStart() : folded;
  if (!PLAIN.test(digits) && !GROUPED.test(digits)) return refuse('format');
  const minor = BigInt(digits.replaceAll(',', ''));
  if (minor < min) return refuse('too_small');
  if (minor > max) return refuse('too_large');
  return { ok: true, minor };
}

/**
 * The amount as the JSON number the API's schema asks for. Every amount parseAmount accepts
 * is far below 2^53, so the number is exact; a larger one is a programming error.
 */
export function amountJson(minor: bigint): number {
  if (minor > BigInt(Number.MAX_SAFE_INTEGER) || minor < -BigInt(Number.MAX_SAFE_INTEGER)) {
    throw new RangeError('amount beyond the exact range of a JSON number');
  }
  return Number(minor);
}

const MESSAGES: Record<AmountProblem, readonly [en: string, ja: string]> = {
  empty: ['Enter an amount.', '金額を入力してください。'],
  format: [
    'Enter whole yen in digits, e.g. 1000, 1,000 or ¥1,000.',
    '金額は円単位の数字で入力してください（例: 1000、1,000、¥1,000）。',
  ],
  too_small: ['The amount must be at least {min}.', '{min} 以上の金額を入力してください。'],
  too_large: ['The amount can be at most {max}.', '{max} 以下の金額を入力してください。'],
};

/** ¥1,234 without Intl's locale quirks: the message must read the same in every browser. */
export function yenPlain(minor: bigint): string {
  const sign = minor < 0n ? '-' : '';
  const abs = (minor < 0n ? -minor : minor).toString();
  return `${sign}¥${abs.replace(/\B(?=(\d{3})+(?!\d))/g, ',')}`;
}

/** The sentence that tells the person what to type instead. */
export function amountMessage(
  reading: Extract<AmountReading, { ok: false }>,
  lang: 'ja' | 'en',
): string {
  const text = MESSAGES[reading.problem][lang === 'ja' ? 1 : 0];
  return text.replace('{min}', yenPlain(reading.min)).replace('{max}', yenPlain(reading.max));
}

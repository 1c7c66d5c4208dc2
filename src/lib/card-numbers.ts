// The one card-number detector (GMO-PG 2017: card data where no one knew it was). Every guard
// uses it: the free-text check at the API, the outbox and webhook guards, payload and log
// scrubbing, and `kinko vault scan`. One rule everywhere, so a value the API accepts is never
// one the outbox refuses with a 500 or the scan reports as a critical incident.
//
// A card number here is what a card network could have issued, written as cards print it:
//   - a brand by IIN range, with one of that brand's lengths (the table the vault validates
//     tokenized cards with), and a valid Luhn check digit;
//   - written contiguous, or with single spaces or dashes in the groupings printed on cards:
//     4-4-4-4 (16 digits), 4-6-5 (15, Amex), 4-6-4 (14, Diners), 4-4-4-4-3 (19);
//   - standing on its own: a run touching a letter, digit or underscore, joined to one by a
//     dash, or to a digit by a dot, is part of a longer token (a UUID, a hex hash,
//     `idem-1796321000004`, a decimal) and not a card; neither is a grouped run that continues
//     a longer grouped code (an IBAN, a 20-digit reference). A dot after a word or before a
//     name still separates (`4242….js`, `4242….evil.example`). Any 13–19 digits of a random
//     UUID or timestamp pass Luhn one time in ten; these rules, not Luhn, are what keep false
//     alarms near zero;
//   - not an international phone number: "+" and at most 15 digits is E.164, and no card
//     number is written after a "+".
// A 3- or 4-digit group right after a card is taken as its security code and matched with it,
// so masking removes both.

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
const IIN_RANGES: readonly IinRange[] = [
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

export const CARD_DIGITS_MIN = 12;
export const CARD_DIGITS_MAX = 19;

function rangeOf(digits: string): IinRange | undefined {
  for (const r of IIN_RANGES) {
    const prefix = digits.slice(0, r.from.length);
    if (prefix.length === r.from.length && prefix >= r.from && prefix <= r.to) return r;
  }
  return undefined;
}

/** The brand whose IIN range holds the number's prefix, or undefined. */
export function brandOf(digits: string): Brand | undefined {
  return rangeOf(digits)?.brand;
}

/** The lengths the brand of this prefix issues, or none when no brand holds it. */
export function brandLengths(digits: string): readonly number[] {
  return rangeOf(digits)?.lengths ?? [];
}

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

/** The brand of a digit string that is a card number (IIN, that brand's length, Luhn). */
export function cardBrand(digits: string): Brand | undefined {
  const r = rangeOf(digits);
  if (!r || !r.lengths.includes(digits.length)) return undefined;
  return luhnValid(digits) ? r.brand : undefined;
}

interface CardNumberFound {
  /** Where the match starts and ends in the text (end exclusive), security code included. */
  start: number;
  end: number;
  /** The card number's digits, without separators or security code. */
  digits: string;
  brand: Brand;
}

// Candidates: a grouped layout or a contiguous run, and an optional 3–4 digit group after it
// (a 19-digit card's last group, or a security code). Boundaries are checked in code.
const CANDIDATE = new RegExp(
  '(?<![0-9])(?:' +
    '([0-9]{4}[ -][0-9]{4}[ -][0-9]{4}[ -][0-9]{4})' +
    '|([0-9]{4}[ -][0-9]{6}[ -][0-9]{4,5})' +
    '|([0-9]{13,19})' +
    ')(?:[ -]([0-9]{3,4})(?![0-9A-Za-z_]))?(?![0-9])',
  'g',
);

const PLUS = 0x2b;
const E164_DIGITS_MAX = 15;

/** Letters, digits and underscore: the characters a token (id, hash, name) is made of. */
function isTokenChar(c: number): boolean {
  return (
    (c >= 48 && c <= 57) || (c >= 65 && c <= 90) || (c >= 97 && c <= 122) || c === 95 // _
  );
}

function isDigit(c: number): boolean {
  return c >= 48 && c <= 57;
}

const JSON_ESCAPE_LETTERS = 'nrtbf';
const PERCENT_ESCAPE = /%[0-9A-Fa-f]{2}/g;

/** Whether the run starting at `start` stands apart from what comes before it. */
function apartBefore(text: string, start: number): boolean {
  const c = text.charCodeAt(start - 1);
  if (Number.isNaN(c)) return true;
  if (isTokenChar(c)) {
    // "\n4242…" in JSON text: the letter belongs to an escape.
    return text[start - 2] === '\\' && JSON_ESCAPE_LETTERS.includes(text[start - 1]!);
  }
  // A dash joins the run to the token before it (`idem-1796…`, a UUID group); a dot joins it
  // to a number (0.6348…, v1.2.4242…), while after a word it ends a sentence or a name.
  const before = text.charCodeAt(start - 2);
  if (c === 0x2d) return !isTokenChar(before);
  if (c === 0x2e) return !isDigit(before);
  return true;
}

/** Whether the run ending at `end` stands apart from what follows it. */
function apartAfter(text: string, end: number, grouped: boolean): boolean {
  const c = text.charCodeAt(end);
  if (Number.isNaN(c)) return true;
  if (isTokenChar(c)) return false;
  const next = text.charCodeAt(end + 1);
  if (c === 0x2d && isTokenChar(next)) return false;
  if (c === 0x2e && isDigit(next)) return false;
  // A grouped number followed by five or more digits is part of a longer grouped number.
  if (grouped && c === 0x20) return !/^[0-9]{5}/.test(text.slice(end + 1, end + 6));
  return true;
}

// A group of four with a digit in it, then a space: a grouped number starting here continues
// a longer grouped code (an IBAN, a 20-digit reference), and is not a card of its own.
const GROUP_BEFORE = /(?:^|[^0-9A-Za-z])(?=[A-Za-z]*[0-9])[0-9A-Za-z]{4} $/;

function afterGroup(text: string, start: number): boolean {
  return text[start - 1] === ' ' && GROUP_BEFORE.test(text.slice(Math.max(0, start - 6), start));
}

function candidateCard(
  text: string,
  m: RegExpExecArray,
): { digits: string; brand: Brand; end: number } | undefined {
  const layout = m[1] ?? m[2] ?? m[3]!;
  const tail = m[4];
  const start = m.index;
  const core = layout.replace(/[ -]/g, '');
  const grouped = m[3] === undefined;
  if (!grouped && start > 0 && text.charCodeAt(start - 1) === PLUS) {
    if (core.length <= E164_DIGITS_MAX) return undefined;
  }
  const end = start + m[0].length;
  // 4-4-4-4-3 is the printed layout of a 19-digit card.
  if (tail?.length === 3 && m[1] !== undefined) {
    const brand = cardBrand(core + tail);
    if (brand) return { digits: core + tail, brand, end };
  }
  const brand = cardBrand(core);
  if (!brand) return undefined;
  return { digits: core, brand, end: tail ? end : start + layout.length };
}

/** Quick test: 13 digits with nothing but spaces and dashes between them. */
function mayHoldCard(text: string): boolean {
  let digits = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (isDigit(c)) {
      if (++digits >= 13) return true;
    } else if (c !== 32 && c !== 45) {
      digits = 0;
    }
  }
  return false;
}

/** Every card number in text, in order. */
export function findCardNumbers(original: string): CardNumberFound[] {
  // A percent escape ("card%204242…") separates like the character it stands for; spaces of
  // the same length keep every offset.
  const text = original.includes('%') ? original.replace(PERCENT_ESCAPE, '   ') : original;
  if (!mayHoldCard(text)) return [];
  const found: CardNumberFound[] = [];
  CANDIDATE.lastIndex = 0;
  for (let m = CANDIDATE.exec(text); m !== null; m = CANDIDATE.exec(text)) {
    const start = m.index;
    const grouped = m[3] === undefined;
    const apart = apartBefore(text, start) && !(grouped && afterGroup(text, start));
    const card = apart ? candidateCard(text, m) : undefined;
    if (card && apartAfter(text, card.end, grouped)) {
      found.push({ start, end: card.end, digits: card.digits, brand: card.brand });
      CANDIDATE.lastIndex = card.end;
    } else {
      // What was taken as a trailing group may begin the next card: look again from here.
      CANDIDATE.lastIndex = start + 1;
    }
  }
  return found;
}

export function holdsCardNumber(text: string): boolean {
  return findCardNumbers(text).length > 0;
}

const CARD_NUMBER_REDACTED = '[pan redacted]';

/** Text with every card number (and a security code written after it) replaced. */
export function maskCardNumbers(
  text: string,
  replacement: (found: CardNumberFound) => string = () => CARD_NUMBER_REDACTED,
): string {
  const found = findCardNumbers(text);
  if (found.length === 0) return text;
  let out = '';
  let at = 0;
  for (const f of found) {
    out += text.slice(at, f.start) + replacement(f);
    at = f.end;
  }
  return out + text.slice(at);
}

/** Display form: BIN (first six) and last four, the most PCI DSS 3.4.1 allows. */
export function maskedDigits(digits: string): string {
  return `${digits.slice(0, 6)}${'•'.repeat(Math.max(0, digits.length - 10))}${digits.slice(-4)}`;
}

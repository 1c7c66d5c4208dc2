// What a Content-Security-Policy violation report may keep. The report endpoint is open to
// anyone (browsers send reports without credentials), and what a report carries is chosen by
// whoever wrote the page's scripts: a skimmer blocked by the policy (ApparelX 2020) reports
// the very URL it tried to send its loot to — `https://evil.example/4917613582942078/cvc739/`,
// a host name such as `4917613582942078.evil.example`, a path split `/4917/6135/8294/2078/`,
// percent-encoded, or base64 (`/NDkxNzYx…`). Nor is the card-number detector's judgement
// wanted here: a report is no place for any number that could be card data, and storing one
// would let anyone plant card numbers in Kinko's database and open critical incidents through
// the scan at will. So every field is cut to what an investigation needs — which page, which
// directive, which host and script, the shape of the path — and digits are masked:
//   - query strings, fragments and credentials are dropped; a URL with no origin of its own
//     (`data:`, `javascript:`) keeps only its scheme;
//   - a token that decodes from base64 to text holding 12 or more digits becomes `[encoded]`;
//   - when a field holds 12 or more digits in all (no brand issues a card number that short),
//     every digit is masked, however they are split or interleaved; otherwise every run
//     of 3 or more digits is (a security code, an expiry, a piece of a number), so `cvc739`
//     and `c=739` keep their shape but not their value. Short runs (`v2`, `jquery-3.7.1`) stay.
// The line number is stored as reported: one integer, bounded by the schema.

/** Fewer digits than any card number has: a field with this many loses them all. */
const DIGITS_IN_FIELD_MAX = 11;
/** Longer digit runs are masked in every field: a security code is 3 or 4. */
const DIGIT_RUN_KEPT_MAX = 2;
const MASK = '•';
const ENCODED = '[encoded]';

const DIGIT = /\p{Nd}/gu;
const DIGIT_RUN = /\p{Nd}+/gu;
const BASE64_TOKEN = /[A-Za-z0-9+_-]{16,}={0,2}/g;
const IPV4 = /^[0-9]{1,3}(?:\.[0-9]{1,3}){3}$/;
const DIRECTIVE = /^[a-z][a-z-]{0,63}$/;

/**
 * Digits in what a token decodes to from base64 (standard or URL-safe), read from each of the
 * four alignments, since a token may start mid-group (`x-eyJuIj…`).
 */
function decodedDigitCount(token: string): number {
  let most = 0;
  for (let shift = 0; shift < 4; shift++) {
    const b64 = token.slice(shift).replace(/-/g, '+').replace(/_/g, '/');
    let n = 0;
    for (const b of Buffer.from(b64, 'base64')) if (b >= 48 && b <= 57) n += 1;
    most = Math.max(most, n);
  }
  return most;
}

/** Masks what could be card data in text a stranger wrote (see the rules above). */
export function maskUntrusted(text: string): string {
  const decoded = text.replace(BASE64_TOKEN, (t) =>
    decodedDigitCount(t) > DIGITS_IN_FIELD_MAX ? ENCODED : t,
  );
  const digits = decoded.match(DIGIT)?.length ?? 0;
  if (digits > DIGITS_IN_FIELD_MAX) return decoded.replace(DIGIT, MASK);
  return decoded.replace(DIGIT_RUN, (run) =>
    [...run].length > DIGIT_RUN_KEPT_MAX ? MASK.repeat([...run].length) : run,
  );
}

function decodePath(path: string): string {
  try {
    return decodeURIComponent(path);
  } catch {
    return path;
  }
}

/** A reported URL as stored: origin and path, masked; `max` characters at most. */
export function reportUrl(raw: string | undefined, max: number): string {
  if (!raw) return '';
  let u: URL;
  try {
    u = new URL(raw);
  } catch {
    // Not a URL: a keyword such as `inline` or `eval`, or a relative path.
    return maskUntrusted(decodePath(raw.split(/[?#]/)[0] ?? '')).slice(0, max);
  }
  // A URL with no origin of its own keeps its scheme; blob: URLs name another URL inside.
  if (u.origin === 'null' || u.protocol === 'blob:') return maskUntrusted(u.protocol).slice(0, max);
  const literal = IPV4.test(u.hostname) || u.hostname.startsWith('[');
  const host = literal ? u.hostname : maskUntrusted(decodePath(u.hostname));
  const port = u.port ? `:${u.port}` : '';
  const path = maskUntrusted(decodePath(u.pathname));
  return `${u.protocol}//${host}${port}${path}`.slice(0, max);
}

/** Free text from a report (a script sample), masked; `max` characters at most. */
export function reportText(raw: string, max: number): string {
  return maskUntrusted(raw).slice(0, max);
}

/** A directive's name (`script-src`), or `unknown`: the rest of a CSP2 value is not kept. */
export function reportDirective(raw: string | undefined): string {
  const name = (raw ?? '').trim().split(/\s/)[0] ?? '';
  return DIRECTIVE.test(name) ? name : 'unknown';
}

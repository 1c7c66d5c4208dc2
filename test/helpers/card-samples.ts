import { randomBytes, randomInt, randomUUID } from 'node:crypto';
import { luhnValid } from '../../src/lib/card-numbers.ts';

// Samples for the card-number detector's test (src/lib/card-numbers.test.ts) and benchmark
// (bench/card-detect.bench.ts): the networks' published test card numbers, every printed
// grouping of each, and generators of the strings that were taken for cards — UUIDs,
// millisecond timestamps, international phone numbers.

/** Published test numbers, by brand (the networks' and acquirers' test-card lists). */
export const TEST_CARDS: Readonly<Record<string, readonly string[]>> = {
  visa: ['4242424242424242', '4000056655665556', '4012888888881881', '4111111111111111'],
  'visa (13 digits)': ['4222222222222'],
  mastercard: ['5555555555554444', '2223003122003222', '5105105105105100', '2720990000000007'],
  amex: ['378282246310005', '371449635398431'],
  discover: ['6011111111111117', '6011000990139424'],
  diners: ['3056930009020004', '36227206271667', '30569309025904'],
  jcb: ['3566002020360505', '3530111333300000'],
  unionpay: ['6200000000000005', '6200000000000047', '6205500000000000004'],
};

/** One Luhn-valid number per IIN range bound and brand length, so every row is covered. */
export function syntheticCards(): string[] {
  const prefixes: Array<[string, number[]]> = [
    ['34', [15]],
    ['37', [15]],
    ['3528', [16, 17, 18, 19]],
    ['3589', [16, 17, 18, 19]],
    ['300', [14, 16, 17, 18, 19]],
    ['305', [14, 16, 17, 18, 19]],
    ['36', [14, 15, 16, 17, 18, 19]],
    ['38', [16, 17, 18, 19]],
    ['39', [16, 17, 18, 19]],
    ['6011', [16, 17, 18, 19]],
    ['622126', [16, 17, 18, 19]],
    ['622925', [16, 17, 18, 19]],
    ['644', [16, 17, 18, 19]],
    ['649', [16, 17, 18, 19]],
    ['65', [16, 17, 18, 19]],
    ['62', [16, 17, 18, 19]],
    ['81', [16, 17, 18, 19]],
    ['51', [16]],
    ['55', [16]],
    ['2221', [16]],
    ['2720', [16]],
    ['4', [13, 16, 19]],
  ];
  const out: string[] = [];
  for (const [prefix, lengths] of prefixes) {
    for (const length of lengths) {
      out.push(withCheckDigit(prefix + digits(length - 1 - prefix.length)));
    }
  }
  return out;
}

export function digits(n: number): string {
  let s = '';
  for (let i = 0; i < n; i++) s += String(randomInt(10));
  return s;
}

/**
 * A Visa number of the card simulator's approving kind, ending in 4242 like the classic
 * test card but different for each seed: one card per test customer, as real wallets hold
 * (the same number on several wallets is what the risk rule `shared_card` holds).
 */
export function visa4242For(seed: number): string {
  const middle = String(seed % 100_000).padStart(5, '0');
  for (let x = 0; x <= 9; x++) {
    const pan = `424242${middle}${x}4242`;
    if (luhnValid(pan)) return pan;
  }
  throw new Error('unreachable: one digit always makes the number valid');
}

export function withCheckDigit(body: string): string {
  for (let d = 0; d <= 9; d++) if (luhnValid(body + d)) return body + d;
  throw new Error('unreachable: one check digit always fits');
}

/** Every way cards print a number of this length: contiguous, and its groupings. */
export function groupings(pan: string): string[] {
  const out = [pan];
  const at = (cuts: number[], sep: string) => {
    let s = '';
    let from = 0;
    for (const c of cuts) {
      s += pan.slice(from, c) + sep;
      from = c;
    }
    return s + pan.slice(from);
  };
  const layouts: Record<number, number[]> = {
    14: [4, 10],
    15: [4, 10],
    16: [4, 8, 12],
    19: [4, 8, 12, 16],
  };
  const cuts = layouts[pan.length];
  if (cuts) for (const sep of [' ', '-']) out.push(at(cuts, sep));
  return out;
}

/** Where a number is found: alone, in prose, in JSON, in a URL, after a label. */
export const CONTEXTS: ReadonlyArray<(n: string) => string> = [
  (n) => n,
  (n) => `card ${n}.`,
  (n) => `{"note":"${n}"}`,
  (n) => `{"note":"paid\\n${n}"}`,
  (n) => `https://evil.example/${n}/x`,
  (n) => `pan=${n}&exp=12/29`,
  (n) => `(${n})`,
];

export function uuid(): string {
  return randomUUID();
}

/** A time-ordered UUID (version 7), the other kind Kinko writes. */
export function uuidV7(): string {
  const b = randomBytes(16);
  b.writeUIntBE(randomInt(1e12, 4e12), 0, 6);
  b[6] = (b[6]! & 0x0f) | 0x70;
  b[8] = (b[8]! & 0x3f) | 0x80;
  const h = b.toString('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
}

// 13-digit millisecond timestamps from their first (2001-09-09) to 2096-10-02, after which
// they begin with a 4: a bare one is then a Visa-length number and passes Luhn one time in
// ten, as any 13 digits after a 4 do. That is reported, not hidden (see the benchmark).
export const TIMESTAMP_MS_FROM = 1_000_000_000_000;
export const TIMESTAMP_MS_TO = 4_000_000_000_000;

export function timestampMs(from = TIMESTAMP_MS_FROM, to = TIMESTAMP_MS_TO): string {
  return String(randomInt(from / 1000, to / 1000) * 1000 + randomInt(1000));
}

// Country codes with the digits their national numbers have (ITU-T E.164 allows 15 in all).
const COUNTRY_CODES: ReadonlyArray<[string, number, number]> = [
  ['1', 10, 10],
  ['7', 10, 10],
  ['33', 9, 9],
  ['44', 9, 10],
  ['49', 6, 13],
  ['61', 9, 9],
  ['81', 9, 10],
  ['82', 8, 10],
  ['86', 10, 11],
  ['91', 10, 10],
  ['852', 8, 8],
  ['886', 8, 9],
  ['971', 8, 9],
  ['380', 9, 9],
  ['43', 4, 13],
  ['62', 8, 12],
];

/** An international number as written and stored: "+", country code, national number. */
export function e164(): string {
  const [cc, min, max] = COUNTRY_CODES[randomInt(COUNTRY_CODES.length)]!;
  const national = Math.min(randomInt(min, max + 1), 15 - cc.length);
  return `+${cc}${String(randomInt(1, 10))}${digits(national - 1)}`;
}

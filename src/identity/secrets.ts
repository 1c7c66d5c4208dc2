import { createHash, randomBytes, randomInt, timingSafeEqual } from 'node:crypto';
import { secretToken } from '../lib/ids.ts';

// Secrets Kinko hands out (session tokens, one-time codes, recovery codes, links) and how
// they are kept: only a SHA-256 of each is stored, so a copy of the database lets nobody
// sign in. SHA-256 without salt is right here because every secret has ≥ 64 random bits
// (codes of 6 digits are also bound to a row, capped in attempts and short-lived).

export function sha256(text: string): Buffer {
  return createHash('sha256').update(text, 'utf8').digest();
}

export function sameHash(a: Buffer, b: Buffer): boolean {
  return a.length === b.length && timingSafeEqual(a, b);
}

/** A numeric one-time code with `digits` digits, uniformly drawn. */
export function numericCode(digits: number): string {
  let out = '';
  for (let i = 0; i < digits; i++) out += String(randomInt(10));
  return out;
}

/** Session tokens: 256 random bits behind a realm prefix (`ks_` customers, `kos_` operators). */
export function sessionToken(realm: 'customer' | 'operator'): string {
  return secretToken(realm === 'customer' ? 'ks' : 'kos');
}

/** Long-lived link tokens ("this was not me"): 256 random bits. */
export function linkToken(): string {
  return secretToken('kf');
}

const CROCKFORD = '0123456789ABCDEFGHJKMNPQRSTVWXYZ';

/** A recovery code of `bits` random bits (rounded up to 5-bit symbols) in groups of four. */
export function recoveryCode(bits: number): string {
  const symbols = Math.ceil(bits / 5);
  const bytes = randomBytes(symbols);
  let out = '';
  for (let i = 0; i < symbols; i++) {
    if (i > 0 && i % 4 === 0) out += '-';
    out += CROCKFORD[bytes[i]! & 31];
  }
  return out;
}

/** Recovery codes as people type them: in either case, with or without dashes and spaces. */
export function normalizeRecoveryCode(input: string): string {
  const bare = input.toUpperCase().replace(/[\s-]/g, '').replace(/O/g, '0').replace(/[IL]/g, '1');
  return bare.replace(/(.{4})(?=.)/g, '$1-');
}

/** A 32-byte random value as base64url, for challenges. */
export function randomChallenge(): string {
  return randomBytes(32).toString('base64url');
}

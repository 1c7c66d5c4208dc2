import { createTOTPKeyURI, generateHOTP } from '@oslojs/otp';
import { timingSafeEqual } from 'node:crypto';

// TOTP (RFC 6238) over HOTP (RFC 4226) with HMAC-SHA-1, as authenticator apps expect.
// Time is a parameter so that the RFC's published vectors can be checked and tests can
// move the clock. Each code is accepted once: the caller stores the step a code matched
// and refuses that step and every earlier one afterwards, which also defeats replay of a
// code seen over a shoulder within its 30 seconds.

interface TotpParams {
  stepSeconds: number;
  digits: number;
  driftStepsMax: number;
}

export function totpStep(nowMs: number, stepSeconds: number): bigint {
  return BigInt(Math.floor(nowMs / 1000 / stepSeconds));
}

export function totpAt(secret: Uint8Array, step: bigint, digits: number): string {
  return generateHOTP(secret, step, digits);
}

/**
 * The step a code matches within ±driftStepsMax of now and strictly after lastStep, or
 * undefined. Every candidate step is compared, in constant time, whatever matched earlier.
 */
export function matchTotp(
  secret: Uint8Array,
  code: string,
  nowMs: number,
  lastStep: bigint | null,
  params: TotpParams,
): bigint | undefined {
  if (!/^\d+$/.test(code) || code.length !== params.digits) return undefined;
  const now = totpStep(nowMs, params.stepSeconds);
  let matched: bigint | undefined;
  for (let d = -params.driftStepsMax; d <= params.driftStepsMax; d++) {
    const step = now + BigInt(d);
    const expected = Buffer.from(totpAt(secret, step, params.digits));
    const equal = timingSafeEqual(expected, Buffer.from(code));
    if (equal && (lastStep === null || step > lastStep) && matched === undefined) matched = step;
  }
  return matched;
}

const BASE32 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';

/** RFC 4648 base32 without padding, as authenticator apps read secrets. */
export function base32(bytes: Uint8Array): string {
  let bits = 0;
  let value = 0;
  let out = '';
  for (const byte of bytes) {
    value = ((value << 8) | byte) & 0xffff;
    bits += 8;
    while (bits >= 5) {
      out += BASE32[(value >>> (bits - 5)) & 31];
      bits -= 5;
    }
  }
  if (bits > 0) out += BASE32[(value << (5 - bits)) & 31];
  return out;
}

export function otpauthUri(
  issuer: string,
  account: string,
  secret: Uint8Array,
  p: TotpParams,
): string {
  return createTOTPKeyURI(issuer, account, secret, p.stepSeconds, p.digits);
}

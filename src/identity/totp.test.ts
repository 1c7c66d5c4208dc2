import { test } from 'node:test';
import assert from 'node:assert/strict';
import { base32, matchTotp, totpAt, totpStep } from './totp.ts';

// RFC 6238 Appendix B, HMAC-SHA-1 rows: the seed is the ASCII string "12345678901234567890",
// codes have 8 digits, steps are 30 seconds.
const SEED = new TextEncoder().encode('12345678901234567890');
const VECTORS: Array<[number, string]> = [
  [59, '94287082'],
  [1111111109, '07081804'],
  [1111111111, '14050471'],
  [1234567890, '89005924'],
  [2000000000, '69279037'],
  [20000000000, '65353130'],
];

test('TOTP matches the RFC 6238 Appendix B test vectors (SHA-1)', () => {
  for (const [seconds, expected] of VECTORS) {
    assert.equal(totpAt(SEED, totpStep(seconds * 1000, 30), 8), expected, `T=${seconds}`);
  }
});

test('a code matches within ±1 step, after the last used step, with its digits', () => {
  const p = { stepSeconds: 30, digits: 8, driftStepsMax: 1 };
  const now = 1111111111 * 1000;
  const step = totpStep(now, 30);
  assert.equal(matchTotp(SEED, '14050471', now, null, p), step);
  assert.equal(
    matchTotp(SEED, '14050471', now + 30_000, null, p),
    step,
    'one step late is accepted',
  );
  assert.equal(
    matchTotp(SEED, '14050471', now + 60_000, null, p),
    undefined,
    'two steps late is not',
  );
  assert.equal(matchTotp(SEED, '14050471', now, step, p), undefined, 'a used step is refused');
  assert.equal(matchTotp(SEED, '1405047', now, null, p), undefined);
  assert.equal(matchTotp(SEED, '1405047a', now, null, p), undefined);
});

test('base32 follows RFC 4648 (test vectors of section 10, unpadded)', () => {
  const enc = (s: string) => base32(new TextEncoder().encode(s));
  assert.equal(enc('f'), 'MY');
  assert.equal(enc('foobar'), 'MZXW6YTBOI');
  assert.equal(enc('12345678901234567890'), 'GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ');
});

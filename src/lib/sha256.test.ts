import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { sha256, sha256Hex, sha256Into } from './sha256.ts';

// The one-call digests are SHA-256 itself: FIPS 180-2's "abc" vector, and createHash's
// answer on text (hashed as UTF-8), bytes, and the empty input.

const ABC = 'ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad';

test('sha256 and sha256Hex give the standard digest of text and bytes', () => {
  assert.equal(sha256Hex('abc'), ABC);
  assert.equal(sha256('abc').toString('hex'), ABC);
  assert.equal(sha256(Buffer.from('abc')).toString('hex'), ABC);
  for (const input of [
    '',
    'POST\n/v1/code_payments\n{"amount":100}',
    '領収書 ¥100 — é',
    '\u0000\xff',
  ]) {
    const want = createHash('sha256').update(input).digest();
    assert.deepEqual(sha256(input), want, JSON.stringify(input));
    assert.equal(sha256Hex(input), want.toString('hex'));
    const bytes = Buffer.from(input, 'utf8');
    assert.deepEqual(sha256(bytes), want);
    const out = Buffer.alloc(40, 7);
    sha256Into(bytes, out, 4);
    assert.deepEqual(out.subarray(4, 36), want);
    assert.equal(out[3], 7);
    assert.equal(out[36], 7);
  }
});

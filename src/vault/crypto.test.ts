import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createCipheriv } from 'node:crypto';
import { cardAad, fingerprint, newDataKey, open, seal, wrapAad } from './crypto.ts';

test('GCM spec test case 14: AES-256, zero key, zero IV, one zero block', () => {
  // Test Case 14 of the GCM specification's test vectors (McGrew & Viega), through node:crypto.
  const key = Buffer.alloc(32);
  const iv = Buffer.alloc(12);
  const c = createCipheriv('aes-256-gcm', key, iv);
  const ct = Buffer.concat([c.update(Buffer.alloc(16)), c.final()]);
  assert.equal(ct.toString('hex'), 'cea7403d4d606b6e074ec5d3baf39d18');
  assert.equal(c.getAuthTag().toString('hex'), 'd0d1c8a799996bf0265b98b5d48ab919');
  // And our box format opens what node:crypto sealed with the same key.
  const box = Buffer.concat([iv, ct, c.getAuthTag()]);
  assert.deepEqual(open(key, box, Buffer.alloc(0)), Buffer.alloc(16));
});

test('a sealed card opens only with its key and its own token as associated data', () => {
  const key = newDataKey();
  const box = seal(key, Buffer.from('secret'), cardAad('card_a'));
  assert.equal(open(key, box, cardAad('card_a')).toString(), 'secret');
  assert.throws(() => open(key, box, cardAad('card_b')));
  assert.throws(() => open(newDataKey(), box, cardAad('card_a')));
  const flipped = Buffer.from(box);
  flipped[14] = flipped[14]! ^ 1;
  assert.throws(() => open(key, flipped, cardAad('card_a')));
  // Fresh IV per seal: the same plaintext never gives the same box.
  assert.notDeepEqual(seal(key, Buffer.from('secret'), cardAad('card_a')), box);
  assert.notDeepEqual(wrapAad('card_a', 1), wrapAad('card_a', 2));
});

test('fingerprints are keyed HMACs: equal under one key, different under another', () => {
  const k1 = newDataKey();
  const k2 = newDataKey();
  assert.deepEqual(fingerprint(k1, '4242424242424242'), fingerprint(k1, '4242424242424242'));
  assert.notDeepEqual(fingerprint(k1, '4242424242424242'), fingerprint(k2, '4242424242424242'));
  assert.notDeepEqual(fingerprint(k1, '4242424242424242'), fingerprint(k1, '4000056655665556'));
});

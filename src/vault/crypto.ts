import { createCipheriv, createDecipheriv, createHmac, randomBytes } from 'node:crypto';
import { assert } from '../lib/assert.ts';

// Envelope encryption with node:crypto only (no home-made crypto): AES-256-GCM (NIST SP
// 800-38D) with 96-bit random IVs, a fresh 256-bit data key per card, the card token bound as
// associated data so a ciphertext copied onto another card's row does not decrypt.

export const KEY_BYTES = 32;
const IV_BYTES = 12;
const TAG_BYTES = 16;

/** iv || ciphertext || tag. */
export function seal(key: Buffer, plaintext: Buffer, aad: Buffer): Buffer {
  assert(key.length === KEY_BYTES, 'AES-256-GCM needs a 32-byte key');
  const iv = randomBytes(IV_BYTES);
  const cipher = createCipheriv('aes-256-gcm', key, iv, { authTagLength: TAG_BYTES });
  cipher.setAAD(aad);
  const body = Buffer.concat([cipher.update(plaintext), cipher.final()]);
  return Buffer.concat([iv, body, cipher.getAuthTag()]);
}

/** Throws when the key, the associated data or any byte of the box is wrong. */
export function open(key: Buffer, box: Buffer, aad: Buffer): Buffer {
  assert(key.length === KEY_BYTES, 'AES-256-GCM needs a 32-byte key');
  assert(box.length >= IV_BYTES + TAG_BYTES, 'sealed box too short');
  const iv = box.subarray(0, IV_BYTES);
  const tag = box.subarray(box.length - TAG_BYTES);
  const decipher = createDecipheriv('aes-256-gcm', key, iv, { authTagLength: TAG_BYTES });
  decipher.setAAD(aad);
  decipher.setAuthTag(tag);
  return Buffer.concat([
    decipher.update(box.subarray(IV_BYTES, box.length - TAG_BYTES)),
    decipher.final(),
  ]);
}

export function newDataKey(): Buffer {
  return randomBytes(KEY_BYTES);
}

/** The associated data of a card's ciphertext. */
export function cardAad(token: string): Buffer {
  return Buffer.from(`kinko.vault.card.v1:${token}`, 'utf8');
}

/** The associated data of a wrapped data key: which card, under which KEK version. */
export function wrapAad(token: string, kekVersion: number): Buffer {
  return Buffer.from(`kinko.vault.datakey.v1:${kekVersion}:${token}`, 'utf8');
}

/** HMAC-SHA256 under the fingerprint key; never a plain hash, which a 10^15 space reverses. */
export function fingerprint(key: Buffer, pan: string): Buffer {
  assert(key.length === KEY_BYTES, 'fingerprint key must be 32 bytes');
  return createHmac('sha256', key).update(`kinko.vault.fingerprint.v1:${pan}`).digest();
}

/** What the ciphertext holds. The security code is never part of it. */
export interface CardSecret {
  pan: string;
  expMonth: number;
  expYear: number;
}

export function encodeSecret(s: CardSecret): Buffer {
  return Buffer.from(JSON.stringify({ p: s.pan, m: s.expMonth, y: s.expYear }), 'utf8');
}

export function decodeSecret(b: Buffer): CardSecret {
  const v = JSON.parse(b.toString('utf8')) as { p: string; m: number; y: number };
  assert(
    typeof v.p === 'string' && Number.isInteger(v.m) && Number.isInteger(v.y),
    'bad card secret',
  );
  return { pan: v.p, expMonth: v.m, expYear: v.y };
}

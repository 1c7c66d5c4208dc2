import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { assert } from './assert.ts';

// Authenticated encryption for secrets Kinko must be able to read back (card data keys, card
// data, webhook signing secrets, TOTP secrets), with node:crypto only (no home-made crypto):
// AES-256-GCM (NIST SP 800-38D), a 96-bit random nonce per box, and associated data that
// names what the box belongs to, so a box copied onto another row does not open.

export const SEAL_KEY_BYTES = 32;
export const SEAL_NONCE_BYTES = 12;
export const SEAL_TAG_BYTES = 16;

/** nonce || ciphertext || tag. */
export function seal(key: Buffer, plaintext: Buffer, aad: Buffer): Buffer {
  assert(key.length === SEAL_KEY_BYTES, 'AES-256-GCM needs a 32-byte key');
  const nonce = randomBytes(SEAL_NONCE_BYTES);
  const cipher = createCipheriv('aes-256-gcm', key, nonce, { authTagLength: SEAL_TAG_BYTES });
  cipher.setAAD(aad);
  const body = Buffer.concat([cipher.update(plaintext), cipher.final()]);
  return Buffer.concat([nonce, body, cipher.getAuthTag()]);
}

/** Throws when the key, the associated data or any byte of the box is wrong. */
export function open(key: Buffer, box: Buffer, aad: Buffer): Buffer {
  assert(key.length === SEAL_KEY_BYTES, 'AES-256-GCM needs a 32-byte key');
  assert(box.length >= SEAL_NONCE_BYTES + SEAL_TAG_BYTES, 'sealed box too short');
  const nonce = box.subarray(0, SEAL_NONCE_BYTES);
  const tag = box.subarray(box.length - SEAL_TAG_BYTES);
  const decipher = createDecipheriv('aes-256-gcm', key, nonce, { authTagLength: SEAL_TAG_BYTES });
  decipher.setAAD(aad);
  decipher.setAuthTag(tag);
  return Buffer.concat([
    decipher.update(box.subarray(SEAL_NONCE_BYTES, box.length - SEAL_TAG_BYTES)),
    decipher.final(),
  ]);
}

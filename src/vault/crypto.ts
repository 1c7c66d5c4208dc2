import { createHmac, randomBytes } from 'node:crypto';
import { assert } from '../lib/assert.ts';
import { open, seal, SEAL_KEY_BYTES } from '../lib/seal.ts';

// Envelope encryption: AES-256-GCM boxes (lib/seal.ts) with a fresh 256-bit data key per
// card, the card token bound as associated data so a ciphertext copied onto another card's
// row does not decrypt.

export const KEY_BYTES = SEAL_KEY_BYTES;
/** iv || ciphertext || tag (lib/seal.ts). */
export { open, seal };

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

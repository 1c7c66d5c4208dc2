import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { assert } from '../lib/assert.ts';
import { loadOrCreateKeyFile } from '../lib/keyfile.ts';

// Endpoint secrets at rest: AES-256-GCM under the webhook secrets key, a 32-byte key in a
// 0600 file outside the data directory (as the vault's keys), with the endpoint and secret
// ids as associated data. Kinko has to sign with the secret, so a hash would not do; and a
// database copy without the key file cannot forge a merchant's webhooks.

export interface SealedSecret {
  nonce: Buffer;
  ciphertext: Buffer;
  tag: Buffer;
}

const KEY_BYTES = 32;

export function sealSecret(key: Buffer, aad: string, secret: string): SealedSecret {
  assert(key.length === KEY_BYTES, 'webhook secrets key must be 32 bytes');
  const nonce = randomBytes(12);
  const cipher = createCipheriv('aes-256-gcm', key, nonce);
  cipher.setAAD(Buffer.from(aad, 'utf8'));
  const ciphertext = Buffer.concat([cipher.update(secret, 'utf8'), cipher.final()]);
  return { nonce, ciphertext, tag: cipher.getAuthTag() };
}

export function openSecret(key: Buffer, aad: string, sealed: SealedSecret): string {
  const decipher = createDecipheriv('aes-256-gcm', key, sealed.nonce);
  decipher.setAAD(Buffer.from(aad, 'utf8'));
  decipher.setAuthTag(sealed.tag);
  return Buffer.concat([decipher.update(sealed.ciphertext), decipher.final()]).toString('utf8');
}

/** Reads the key file, creating it (0600, random) on first use (lib/keyfile.ts). */
export function loadOrCreateWebhookSecretsKey(file: string): Buffer {
  return loadOrCreateKeyFile(file, KEY_BYTES);
}

import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { assert } from '../lib/assert.ts';

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

/** Reads the key file, creating it (0600, random) on first use. */
export function loadOrCreateWebhookSecretsKey(file: string): Buffer {
  try {
    const key = Buffer.from(fs.readFileSync(file, 'utf8').trim(), 'base64');
    assert(key.length === KEY_BYTES, `${file} does not hold a 32-byte base64 key`);
    return key;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
  }
  fs.mkdirSync(path.dirname(file), { recursive: true, mode: 0o700 });
  const key = randomBytes(KEY_BYTES);
  fs.writeFileSync(file, key.toString('base64') + '\n', { mode: 0o600, flag: 'wx' });
  return key;
}

import { loadOrCreateKeyFile } from '../lib/keyfile.ts';
import { open, seal, SEAL_KEY_BYTES, SEAL_NONCE_BYTES, SEAL_TAG_BYTES } from '../lib/seal.ts';

// Endpoint secrets at rest: AES-256-GCM (lib/seal.ts) under the webhook secrets key, a
// 32-byte key in a 0600 file outside the data directory (as the vault's keys), with the
// endpoint and secret ids as associated data. Kinko has to sign with the secret, so a hash
// would not do; and a database copy without the key file cannot forge a merchant's
// webhooks.

interface SealedSecret {
  nonce: Buffer;
  ciphertext: Buffer;
  tag: Buffer;
}

/** Stored as three columns: the box of lib/seal.ts taken apart. */
export function sealSecret(key: Buffer, aad: string, secret: string): SealedSecret {
  const box = seal(key, Buffer.from(secret, 'utf8'), Buffer.from(aad, 'utf8'));
  return {
    nonce: box.subarray(0, SEAL_NONCE_BYTES),
    ciphertext: box.subarray(SEAL_NONCE_BYTES, box.length - SEAL_TAG_BYTES),
    tag: box.subarray(box.length - SEAL_TAG_BYTES),
  };
}

export function openSecret(key: Buffer, aad: string, sealed: SealedSecret): string {
  const box = Buffer.concat([sealed.nonce, sealed.ciphertext, sealed.tag]);
  return open(key, box, Buffer.from(aad, 'utf8')).toString('utf8');
}

/** Reads the key file, creating it (0600, random) on first use (lib/keyfile.ts). */
export function loadOrCreateWebhookSecretsKey(file: string): Buffer {
  return loadOrCreateKeyFile(file, SEAL_KEY_BYTES);
}

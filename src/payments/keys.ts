import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { assert } from '../lib/assert.ts';

// The payment-code HMAC key: 32 random bytes in a 0600 file beside the vault's key file,
// outside the database and the data directory (as the webhook secrets key). A key file
// rather than one derived from another secret: rotating or revoking it touches nothing
// else, and a database copy (backup, replica, dump) never lets anyone test guessed codes.
// Losing the key only invalidates codes alive at that moment (≤ 5 minutes' worth).

const KEY_BYTES = 32;

export function loadOrCreatePaymentCodeKey(file: string): Buffer {
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

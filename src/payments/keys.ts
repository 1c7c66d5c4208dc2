import { loadOrCreateKeyFile } from '../lib/keyfile.ts';

// The payment-code HMAC key: 32 random bytes in a 0600 file beside the vault's key file,
// outside the database and the data directory (as the webhook secrets key). A key file
// rather than one derived from another secret: rotating or revoking it touches nothing
// else, and a database copy (backup, replica, dump) never lets anyone test guessed codes.
// Losing the key only invalidates codes alive at that moment (≤ 5 minutes' worth).

export function loadOrCreatePaymentCodeKey(file: string): Buffer {
  return loadOrCreateKeyFile(file);
}

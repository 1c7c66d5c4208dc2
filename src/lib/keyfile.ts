import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';

// Symmetric keys kept in files outside the database (webhook secrets key, payment-code HMAC
// key): 32 random bytes, base64, mode 0600 in a 0700 directory, created on first use. A key
// file readable by group or others is refused rather than used, since a copy of it would let
// anyone holding a database dump forge or test what the key protects.

export class KeyFileError extends Error {
  override name = 'KeyFileError';
}

export function loadOrCreateKeyFile(file: string, bytes = 32): Buffer {
  let text: string;
  try {
    const mode = fs.statSync(file).mode & 0o777;
    if ((mode & 0o077) !== 0) {
      throw new KeyFileError(
        `${file} is readable by group or others (mode ${mode.toString(8)}); chmod 600 it`,
      );
    }
    text = fs.readFileSync(file, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
    fs.mkdirSync(path.dirname(file), { recursive: true, mode: 0o700 });
    const key = randomBytes(bytes);
    fs.writeFileSync(file, key.toString('base64') + '\n', { mode: 0o600, flag: 'wx' });
    return key;
  }
  const key = Buffer.from(text.trim(), 'base64');
  if (key.length !== bytes) throw new KeyFileError(`${file} does not hold a ${bytes}-byte key`);
  return key;
}

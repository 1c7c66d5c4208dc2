import { randomBytes } from 'node:crypto';

// Identifiers. Records use UUIDv7 (RFC 9562): time-ordered, so B-tree inserts stay local,
// with 74 random bits so that ids from many processes never collide. Secrets (tokens,
// keys) use 256 random bits and are stored only as hashes by the modules that issue them.

export type Uuid = string & { readonly __brand: 'Uuid' };

const UUID_RE = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

export function isUuid(value: string): value is Uuid {
  return UUID_RE.test(value);
}

export function uuidv7(nowMs: number = Date.now()): Uuid {
  const bytes = randomBytes(16);
  const ms = BigInt(nowMs);
  for (let i = 0; i < 6; i++) bytes[i] = Number((ms >> BigInt(8 * (5 - i))) & 0xffn);
  bytes[6] = (bytes[6]! & 0x0f) | 0x70;
  bytes[8] = (bytes[8]! & 0x3f) | 0x80;
  const hex = bytes.toString('hex');
  const at = [0, 8, 12, 16, 20, 32];
  return at.slice(1).map((end, i) => hex.slice(at[i], end)).join('-') as Uuid;
}

/** A random secret token such as `sess_…`: 32 bytes, base64url. */
export function secretToken(prefix: string, bytes = 32): string {
  return `${prefix}_${randomBytes(bytes).toString('base64url')}`;
}

/** A public, non-secret identifier such as `req_…`. */
export function publicId(prefix: string, bytes = 12): string {
  return `${prefix}_${randomBytes(bytes).toString('base64url')}`;
}

import { canonicalJson } from '../lib/canonical-json.ts';
import { sha256 } from '../lib/sha256.ts';

/**
 * What an Idempotency-Key is bound to: method, path with query, and the body in canonical
 * JSON, so `{a,b}` and `{b,a}` are one request. Both idempotency layers (idempotency.ts and
 * the register's, inside its payment batch) store it.
 */
export function requestFingerprint(method: string, url: string, body: unknown): Buffer {
  return sha256(`${method}\n${url}\n${body === undefined ? '' : canonicalJson(body)}`);
}

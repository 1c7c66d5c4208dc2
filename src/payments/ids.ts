import { createHash } from 'node:crypto';
import { uuidText } from '../lib/ids.ts';

// Ledger transfer ids derived from the payment, top-up or refund they carry: a retry of the
// same business operation always names the same transfer, so the ledger answers `exists`
// instead of posting twice.

const NAMESPACE = 'kinko:payments-transfer:v1';

export function transferIdFor(kind: 'topup' | 'payment' | 'refund', id: string): string {
  const bytes = createHash('sha256').update(`${NAMESPACE}|${kind}|${id}`).digest();
  bytes[6] = (bytes[6]! & 0x0f) | 0x80;
  bytes[8] = (bytes[8]! & 0x3f) | 0x80;
  return uuidText(bytes);
}

/** Ledger transfer codes (the chart's kinds of movement). */
export const TRANSFER_CODES = { topup: 101, payment: 201, refund: 301 } as const;

/** JSON with object keys sorted at every level, so `{a,b}` and `{b,a}` are one request. */
export function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (value && typeof value === 'object') {
    const record = value as Record<string, unknown>;
    const keys = Object.keys(record).sort();
    return `{${keys.map((k) => `${JSON.stringify(k)}:${canonicalJson(record[k])}`).join(',')}}`;
  }
  return JSON.stringify(value) ?? 'null';
}

/** What an idempotency key is bound to: method, path and the canonical body. */
export function requestFingerprint(method: string, url: string, body: unknown): Buffer {
  return createHash('sha256')
    .update(`${method}\n${url}\n${body === undefined ? '' : canonicalJson(body)}`)
    .digest();
}

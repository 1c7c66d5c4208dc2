import { uuidText } from '../lib/ids.ts';
import { sha256 } from '../lib/sha256.ts';

// Ledger transfer ids derived from the payment, top-up or refund they carry: a retry of the
// same business operation always names the same transfer, so the ledger answers `exists`
// instead of posting twice.

const NAMESPACE = 'kinko:payments-transfer:v1';

export function transferIdFor(kind: 'topup' | 'payment' | 'refund', id: string): string {
  const bytes = sha256(`${NAMESPACE}|${kind}|${id}`);
  bytes[6] = (bytes[6]! & 0x0f) | 0x80;
  bytes[8] = (bytes[8]! & 0x3f) | 0x80;
  return uuidText(bytes);
}

/** Ledger transfer codes (the chart's kinds of movement). */
export const TRANSFER_CODES = { topup: 101, payment: 201, refund: 301 } as const;

import { assert } from '../lib/assert.ts';
import { merkleLeafHash } from '../audit/index.ts';
import type { TransferRecord } from './state.ts';

// The canonical bytes of a transfer: what a batch's Merkle leaf hashes, so what an audit
// entry and an inclusion proof commit to. Fixed-width and big-endian, so that any language
// re-encodes it from the stored fields without a JSON or text library (docs/verify-proof.mjs
// does, with node:crypto only). Layout, version 1 (docs/audit-proofs.md):
//
//   offset size  field
//        0    4  "KLT1" (ASCII: Kinko ledger transfer, version 1)
//        4   16  id                     (UUID, 16 raw bytes)
//       20   16  debit account id
//       36   16  credit account id
//       52    8  amount                 (int64, minor units, > 0)
//       60   16  pending id             (16 zero bytes when none)
//       76    3  currency               (ISO 4217, ASCII)
//       79    2  code                   (uint16)
//       81    1  flags                  (1 linked, 2 pending, 4 post, 8 void)
//       82    4  timeout seconds        (uint32)
//       86    8  created at             (int64, milliseconds since 1970-01-01 UTC)
//       94    1  user data present      (0 or 1)
//       95    4  user data length       (uint32, bytes of UTF-8; 0 when absent)
//       99    n  user data              (UTF-8)
//
// Left out on purpose: a pending transfer's state (it changes when posted, voided or expired,
// and each of those is itself audited) and its expiry time (created at + timeout).

export const CANONICAL_TRANSFER_TAG = 'KLT1';
const FIXED_BYTES = 99;

function uuidBytes(id: string | null): Buffer {
  if (id === null) return Buffer.alloc(16);
  const hex = id.replaceAll('-', '');
  assert(/^[0-9a-fA-F]{32}$/.test(hex), 'a transfer id is a UUID');
  return Buffer.from(hex, 'hex');
}

export function canonicalTransfer(t: TransferRecord): Buffer {
  const userData = t.userData === null ? null : Buffer.from(t.userData, 'utf8');
  const out = Buffer.alloc(FIXED_BYTES + (userData?.length ?? 0));
  out.write(CANONICAL_TRANSFER_TAG, 0, 'ascii');
  uuidBytes(t.id).copy(out, 4);
  uuidBytes(t.debitAccountId).copy(out, 20);
  uuidBytes(t.creditAccountId).copy(out, 36);
  out.writeBigInt64BE(t.amount, 52);
  uuidBytes(t.pendingId).copy(out, 60);
  assert(/^[A-Z]{3}$/.test(t.currency), 'a currency is three ASCII capitals');
  out.write(t.currency, 76, 'ascii');
  out.writeUInt16BE(t.code, 79);
  out.writeUInt8(t.flags, 81);
  out.writeUInt32BE(t.timeoutSeconds, 82);
  out.writeBigInt64BE(BigInt(t.createdAtMs), 86);
  out.writeUInt8(userData ? 1 : 0, 94);
  out.writeUInt32BE(userData?.length ?? 0, 95);
  userData?.copy(out, FIXED_BYTES);
  return out;
}

/** The transfer's Merkle leaf: SHA-256(0x00 || canonical bytes). */
export function transferLeaf(t: TransferRecord): Buffer {
  return merkleLeafHash(canonicalTransfer(t));
}

/** A transfer in a proof: its canonical fields as plain JSON (amount and time as strings). */
export interface CanonicalTransferJson {
  id: string;
  debit_account_id: string;
  credit_account_id: string;
  /** Decimal string of minor units. */
  amount: string;
  pending_id: string | null;
  currency: string;
  code: number;
  flags: number;
  timeout_seconds: number;
  /** Milliseconds since 1970-01-01 UTC, as a decimal string (exactly what is hashed). */
  created_at_ms: string;
  /** ISO 8601 form of created_at_ms, for people; not hashed. */
  created_at: string;
  user_data: string | null;
  /** Hex of canonicalTransfer(): a verifier re-encodes the fields and compares. */
  canonical: string;
}

export function canonicalTransferJson(t: TransferRecord): CanonicalTransferJson {
  return {
    id: t.id,
    debit_account_id: t.debitAccountId,
    credit_account_id: t.creditAccountId,
    amount: t.amount.toString(),
    pending_id: t.pendingId,
    currency: t.currency,
    code: t.code,
    flags: t.flags,
    timeout_seconds: t.timeoutSeconds,
    created_at_ms: String(t.createdAtMs),
    created_at: new Date(t.createdAtMs).toISOString(),
    user_data: t.userData,
    canonical: canonicalTransfer(t).toString('hex'),
  };
}

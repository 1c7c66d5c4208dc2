import { assert } from '../lib/assert.ts';
import { sha256 } from '../lib/sha256.ts';
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

const CANONICAL_TRANSFER_TAG = 'KLT1';
const FIXED_BYTES = 99;

/** Hex digit values by character code; -1 for anything else (and past the table). */
const NIBBLE = new Int8Array(256).fill(-1);
for (let i = 0; i < 10; i++) NIBBLE[48 + i] = i;
for (let i = 0; i < 6; i++) {
  NIBBLE[65 + i] = 10 + i;
  NIBBLE[97 + i] = 10 + i;
}

/** The value of one hex digit's character code; -1 for anything else. */
function nibble(c: number): number {
  return c < 256 ? NIBBLE[c]! : -1;
}

const TWO_32 = 2 ** 32;

/** Whether s is three ASCII capitals (an ISO 4217 code), without a regular expression. */
function isThreeCapitals(s: string): boolean {
  if (s.length !== 3) return false;
  for (let i = 0; i < 3; i++) {
    const c = s.charCodeAt(i);
    if (c < 65 || c > 90) return false;
  }
  return true;
}

/**
 * Writes a UUID's 16 bytes at `offset` (zeros for null). Parsed in JavaScript: a Buffer
 * write per group went through the native binding five times per id and was most of the
 * cost of a leaf. Ids come validated from the ledger; a malformed one is a broken invariant.
 */
export function writeUuid(out: Buffer, id: string | null, offset: number): void {
  if (id === null) {
    out.fill(0, offset, offset + 16);
    return;
  }
  assert(id.length === 36, 'a transfer id is a UUID');
  let o = offset;
  for (let i = 0; i < 36; i += 2) {
    if (i === 8 || i === 13 || i === 18 || i === 23) i += 1;
    const hi = nibble(id.charCodeAt(i));
    const lo = nibble(id.charCodeAt(i + 1));
    assert(hi >= 0 && lo >= 0, 'a transfer id is a UUID');
    out[o++] = (hi << 4) | lo;
  }
}

/**
 * The canonical bytes, after `prefix` spare bytes at the front (the leaf's 0x00). Offsets are
 * written out as `p + offset` rather than through a helper closure: the loader gives every
 * closure made at run time its name with a defineProperty call, which made ~4 % of a large
 * batch's Node time when a closure was made per transfer.
 */
function encode(t: TransferRecord, prefix: number): Buffer {
  const userData = t.userData === null ? null : Buffer.from(t.userData, 'utf8');
  // Every byte is written below (the prefix too), so the buffer need not be zeroed first.
  const out = Buffer.allocUnsafe(prefix + FIXED_BYTES + (userData?.length ?? 0));
  const p = prefix;
  if (p > 0) out.fill(0, 0, p);
  for (let i = 0; i < 4; i++) out[p + i] = CANONICAL_TRANSFER_TAG.charCodeAt(i);
  writeUuid(out, t.id, p + 4);
  writeUuid(out, t.debitAccountId, p + 20);
  writeUuid(out, t.creditAccountId, p + 36);
  out.writeBigInt64BE(t.amount, p + 52);
  writeUuid(out, t.pendingId, p + 60);
  assert(isThreeCapitals(t.currency), 'a currency is three ASCII capitals');
  for (let i = 0; i < 3; i++) out[p + 76 + i] = t.currency.charCodeAt(i);
  out.writeUInt16BE(t.code, p + 79);
  out.writeUInt8(t.flags, p + 81);
  out.writeUInt32BE(t.timeoutSeconds, p + 82);
  // The int64 as two 32-bit halves rather than a BigInt made per transfer: a time in
  // milliseconds is a safe integer, so both halves are exact (the high one signed).
  assert(Number.isSafeInteger(t.createdAtMs), 'a time in milliseconds is a safe integer');
  const high = Math.floor(t.createdAtMs / TWO_32);
  out.writeInt32BE(high, p + 86);
  out.writeUInt32BE(t.createdAtMs - high * TWO_32, p + 90);
  out.writeUInt8(userData ? 1 : 0, p + 94);
  out.writeUInt32BE(userData?.length ?? 0, p + 95);
  userData?.copy(out, p + FIXED_BYTES);
  return out;
}

export function canonicalTransfer(t: TransferRecord): Buffer {
  return encode(t, 0);
}

/**
 * The transfer's Merkle leaf: SHA-256(0x00 || canonical bytes), hashed in one update from a
 * buffer that holds the 0x00 already (a leaf per transfer is on the ledger's hot path).
 */
export function transferLeaf(t: TransferRecord): Buffer {
  return sha256(encode(t, 1));
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

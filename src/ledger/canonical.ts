import { assert } from '../lib/assert.ts';
import { sha256, sha256Into } from '../lib/sha256.ts';
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
    for (let i = 0; i < 16; i++) out[offset + i] = 0;
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

/** "KLT1" as bytes. */
const TAG = [...CANONICAL_TRANSFER_TAG].map((c) => c.charCodeAt(0));

/**
 * Writes an unsigned 32-bit number big-endian at `o`. Byte stores rather than Buffer's
 * writeUInt32BE, whose argument checks were a fifth of a leaf's encoding; callers check.
 */
function put32(out: Buffer, o: number, v: number): void {
  out[o] = v >>> 24;
  out[o + 1] = (v >>> 16) & 0xff;
  out[o + 2] = (v >>> 8) & 0xff;
  out[o + 3] = v & 0xff;
}

/**
 * Writes an int64 big-endian at `o`: as two 32-bit halves of one exact number when it is
 * within ±2^53 (every amount and time in practice), else through BigInt. Buffer's
 * writeBigInt64BE does several BigInt operations per call.
 */
function put64(out: Buffer, o: number, v: bigint | number): void {
  const n = Number(v);
  if (Number.isSafeInteger(n)) {
    const high = Math.floor(n / TWO_32);
    put32(out, o, high >>> 0);
    put32(out, o + 4, n - high * TWO_32);
  } else {
    out.writeBigInt64BE(BigInt(v), o);
  }
}

/**
 * Writes the canonical bytes at `p` of `out`, which has room for them (FIXED_BYTES and up to
 * three bytes per character of user data); returns where they end. Offsets are written out
 * as `p + offset` rather than through a helper closure: the loader gives every closure made
 * at run time its name with a defineProperty call, which made ~4 % of a large batch's Node
 * time when a closure was made per transfer.
 */
function encodeAt(out: Buffer, t: TransferRecord, p: number): number {
  for (let i = 0; i < 4; i++) out[p + i] = TAG[i]!;
  writeUuid(out, t.id, p + 4);
  writeUuid(out, t.debitAccountId, p + 20);
  writeUuid(out, t.creditAccountId, p + 36);
  assert(t.amount >= INT64_MIN && t.amount <= INT64_MAX, 'an amount is an int64');
  put64(out, p + 52, t.amount);
  writeUuid(out, t.pendingId, p + 60);
  assert(isThreeCapitals(t.currency), 'a currency is three ASCII capitals');
  for (let i = 0; i < 3; i++) out[p + 76 + i] = t.currency.charCodeAt(i);
  assert(isUnsigned(t.code, 0xffff), 'a code is a uint16');
  out[p + 79] = t.code >>> 8;
  out[p + 80] = t.code & 0xff;
  assert(isUnsigned(t.flags, 0xff), 'flags are a uint8');
  out[p + 81] = t.flags;
  assert(isUnsigned(t.timeoutSeconds, 0xffffffff), 'a timeout is a uint32');
  put32(out, p + 82, t.timeoutSeconds);
  assert(Number.isSafeInteger(t.createdAtMs), 'a time in milliseconds is a safe integer');
  put64(out, p + 86, t.createdAtMs);
  const userData = t.userData;
  out[p + 94] = userData === null ? 0 : 1;
  const bytes = userData === null ? 0 : out.write(userData, p + FIXED_BYTES, 'utf8');
  put32(out, p + 95, bytes);
  return p + FIXED_BYTES + bytes;
}

const INT64_MIN = -(2n ** 63n);
const INT64_MAX = 2n ** 63n - 1n;

function isUnsigned(v: number, max: number): boolean {
  return Number.isInteger(v) && v >= 0 && v <= max;
}

/** Room for a transfer's canonical bytes after `prefix` bytes (user data at its longest). */
function roomFor(t: TransferRecord, prefix: number): number {
  return prefix + FIXED_BYTES + (t.userData === null ? 0 : 3 * t.userData.length);
}

export function canonicalTransfer(t: TransferRecord): Buffer {
  const out = Buffer.allocUnsafe(roomFor(t, 0));
  return out.subarray(0, encodeAt(out, t, 0));
}

/** A leaf's input, reused from leaf to leaf: sha256 has read it by the time it returns. */
let leafInput = Buffer.allocUnsafe(1024);

/**
 * The transfer's Merkle leaf: SHA-256(0x00 || canonical bytes), hashed in one update from a
 * reused buffer that holds the 0x00 already (a leaf per transfer is on the ledger's hot
 * path, and a buffer made per leaf was a fifth of its encoding).
 */
export function transferLeaf(t: TransferRecord): Buffer {
  const length = encodeLeafInput(t); // may replace leafInput with a larger one
  return sha256(leafInput.subarray(0, length));
}

/** transferLeaf's 32 bytes written at `out[offset..offset+32)`, no Buffer made. */
export function transferLeafInto(t: TransferRecord, out: Buffer, offset: number): void {
  const length = encodeLeafInput(t); // may replace leafInput with a larger one
  sha256Into(leafInput.subarray(0, length), out, offset);
}

/** Encodes 0x00 and t's canonical bytes into leafInput; answers their length. */
function encodeLeafInput(t: TransferRecord): number {
  const room = roomFor(t, 1);
  if (room > leafInput.length) leafInput = Buffer.allocUnsafe(2 * room);
  leafInput[0] = 0x00;
  return encodeAt(leafInput, t, 1);
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

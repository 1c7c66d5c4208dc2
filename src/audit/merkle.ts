import { createHash } from 'node:crypto';
import { assert } from '../lib/assert.ts';
import { sha256, sha256Into } from '../lib/sha256.ts';

// Merkle trees with RFC 6962 hashing (Certificate Transparency, kept in RFC 9162 §2.1): one
// audit entry commits to a whole batch of records by the root over their leaves, and one
// record is later proved part of it by an audit path of about log2(n) hashes.
//
//   leaf hash  = SHA-256(0x00 || record bytes)
//   node hash  = SHA-256(0x01 || left || right)
//   MTH({})    = SHA-256("")           MTH({d}) = leaf hash of d
//   MTH(D[n])  = node(MTH(D[0:k]), MTH(D[k:n])), k the largest power of two smaller than n
//
// The prefixes keep a leaf from ever being read as a node (second-preimage attacks). The
// tests check this file against the vectors published with transparency-dev/merkle (the
// Certificate Transparency reference code), not against its own output.

const LEAF_PREFIX = Buffer.from([0x00]);

/** SHA-256 of the empty string: RFC 6962's root of a tree with no leaves. */
export const MERKLE_EMPTY_ROOT: Buffer = createHash('sha256').digest();

export function merkleLeafHash(data: Buffer): Buffer {
  return createHash('sha256').update(LEAF_PREFIX).update(data).digest();
}

/** The input of a node of two 32-byte children, reused: sha256 reads it before returning. */
const nodeInput = Buffer.alloc(65);

function merkleNodeHash(left: Buffer, right: Buffer): Buffer {
  // One hash of one 65-byte buffer: a tree of n leaves has n - 1 nodes, so each call into
  // the native binding and each allocation counts.
  const input =
    left.length === 32 && right.length === 32
      ? nodeInput
      : Buffer.allocUnsafe(1 + left.length + right.length);
  input[0] = 0x01;
  input.set(left, 1);
  input.set(right, 1 + left.length);
  return sha256(input);
}

/**
 * The root over leaf hashes. Computed level by level, pairing neighbours and carrying an odd
 * last node up unchanged: this gives the same tree as RFC 6962's split at the largest power
 * of two, since every left subtree of that split is complete.
 */
export function merkleRoot(leafHashes: readonly Buffer[]): Buffer {
  if (leafHashes.length === 0) return MERKLE_EMPTY_ROOT;
  let level: Buffer[] = [...leafHashes];
  while (level.length > 1) {
    const next: Buffer[] = [];
    for (let i = 0; i + 1 < level.length; i += 2)
      next.push(merkleNodeHash(level[i]!, level[i + 1]!));
    if (level.length % 2 === 1) next.push(level[level.length - 1]!);
    level = next;
  }
  return level[0]!;
}

/**
 * merkleRoot over `count` leaf hashes packed side by side in `leaves` (32 bytes each, leaf
 * i at 32·i), the same tree and root. Each level is hashed into one scratch buffer in place
 * (node i of a level overwrites slot i, which its children at 2i and 2i+1 have been read
 * from), so a batch's thousands of nodes make no Buffer each. `leaves` is not changed.
 */
export function merkleRootPacked(leaves: Buffer, count: number): Buffer {
  assert(
    Number.isInteger(count) && count >= 0 && leaves.length >= 32 * count,
    'packed leaves hold count hashes',
  );
  if (count === 0) return MERKLE_EMPTY_ROOT;
  if (count === 1) return Buffer.from(leaves.subarray(0, 32));
  const level = Buffer.allocUnsafe(32 * count);
  leaves.copy(level, 0, 0, 32 * count);
  nodeInput[0] = 0x01;
  let n = count;
  while (n > 1) {
    const pairs = n >>> 1;
    for (let i = 0; i < pairs; i++) {
      level.copy(nodeInput, 1, 64 * i, 64 * i + 64);
      sha256Into(nodeInput, level, 32 * i);
    }
    // An odd last node is carried up unchanged.
    if (n % 2 === 1) level.copy(level, 32 * pairs, 32 * (n - 1), 32 * n);
    n = pairs + (n % 2);
  }
  return Buffer.from(level.subarray(0, 32));
}

/** The largest power of two smaller than n (n ≥ 2): RFC 6962's split point. */
function splitPoint(n: number): number {
  let k = 1;
  while (k * 2 < n) k *= 2;
  return k;
}

/**
 * The audit path of leaf `index` (RFC 6962 §2.1.1 PATH(m, D[n])): the sibling subtree roots
 * from the leaf up to the root, nearest first.
 */
export function merkleAuditPath(leafHashes: readonly Buffer[], index: number): Buffer[] {
  assert(
    Number.isInteger(index) && index >= 0 && index < leafHashes.length,
    'a leaf index lies inside the tree',
  );
  const path: Buffer[] = [];
  let from = 0;
  let to = leafHashes.length;
  // Walk down from the root, remembering each sibling; the path lists them bottom-up.
  while (to - from > 1) {
    const k = splitPoint(to - from);
    if (index < from + k) {
      path.push(merkleRoot(leafHashes.slice(from + k, to)));
      to = from + k;
    } else {
      path.push(merkleRoot(leafHashes.slice(from, from + k)));
      from += k;
    }
  }
  return path.reverse();
}

/**
 * The root an audit path leads to from a leaf (RFC 9162 §2.1.3.2); null when the path cannot
 * belong to a tree of that size (too short, too long, or the index outside the tree). The
 * caller compares the result with the root it trusts.
 */
export function merkleRootFromPath(
  index: number,
  size: number,
  leafHash: Buffer,
  path: readonly Buffer[],
): Buffer | null {
  if (!Number.isSafeInteger(index) || !Number.isSafeInteger(size) || index < 0 || index >= size) {
    return null;
  }
  // Sizes are far below 2^31 (batches hold at most a few thousand), so 32-bit shifts are exact.
  let fn = index;
  let sn = size - 1;
  let r = leafHash;
  for (const p of path) {
    if (sn === 0 || p.length !== 32) return null;
    if (fn % 2 === 1 || fn === sn) {
      r = merkleNodeHash(p, r);
      while (fn % 2 === 0 && fn !== 0) {
        fn = Math.floor(fn / 2);
        sn = Math.floor(sn / 2);
      }
    } else {
      r = merkleNodeHash(r, p);
    }
    fn = Math.floor(fn / 2);
    sn = Math.floor(sn / 2);
  }
  return sn === 0 ? r : null;
}

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { merkleLeafHash } from '../audit/index.ts';
import { canonicalTransfer, transferLeaf, transferLeafInto } from './canonical.ts';
import type { TransferRecord } from './state.ts';

// The canonical bytes are what proofs commit to and what docs/verify-proof.mjs re-encodes,
// so the layout is pinned here byte by byte, as documented in docs/audit-proofs.md.

const base: TransferRecord = {
  id: '01234567-89ab-cdef-0123-456789ABCDEF',
  debitAccountId: '11111111-1111-1111-1111-111111111111',
  creditAccountId: '22222222-2222-2222-2222-222222222222',
  amount: 4200n,
  pendingId: null,
  currency: 'JPY',
  code: 7,
  flags: 2,
  timeoutSeconds: 60,
  userData: 'é',
  createdAtMs: 1764871200000,
  state: 'pending',
};

test('the KLT1 layout, field by field', () => {
  const expected = [
    '4b4c5431', // "KLT1"
    '0123456789abcdef0123456789abcdef', // id
    '11'.repeat(16), // debit account
    '22'.repeat(16), // credit account
    '0000000000001068', // amount 4200
    '00'.repeat(16), // no pending id
    '4a5059', // "JPY"
    '0007', // code
    '02', // flags: pending
    '0000003c', // timeout 60 s
    '0000019aea855d00', // 2025-12-04T18:00:00.000Z in ms
    '01', // user data present
    '00000002', // two bytes of UTF-8
    'c3a9', // "é"
  ].join('');
  assert.equal(canonicalTransfer(base).toString('hex'), expected);
});

test('absent user data and a pending id; the state is not committed', () => {
  const t = { ...base, userData: null, pendingId: 'ffffffff-0000-0000-0000-00000000000a' };
  const hex = canonicalTransfer(t).toString('hex');
  assert.equal(hex.length, 99 * 2);
  assert.equal(hex.slice(120, 152), 'ffffffff00000000000000000000000a');
  assert.equal(hex.slice(-10), '0000000000');
  const posted = canonicalTransfer({ ...t, state: 'posted' }).toString('hex');
  assert.equal(posted, hex);
});

test('the leaf is the RFC 6962 leaf hash of the canonical bytes', () => {
  for (const t of [base, { ...base, userData: null }]) {
    assert.deepEqual(transferLeaf(t), merkleLeafHash(canonicalTransfer(t)));
  }
});

test('created at is the int64 of its milliseconds at any time, before 1970 too', () => {
  const times = [0, 1, -1, 2 ** 32 - 1, 2 ** 32, -(2 ** 32) - 1, 1764871200000];
  for (const ms of [...times, Number.MAX_SAFE_INTEGER, Number.MIN_SAFE_INTEGER]) {
    const want = Buffer.alloc(8);
    want.writeBigInt64BE(BigInt(ms));
    const got = canonicalTransfer({ ...base, createdAtMs: ms }).subarray(86, 94);
    assert.equal(got.toString('hex'), want.toString('hex'), `created at ${ms}`);
  }
});

test('amounts, codes and timeouts at their limits; long user data', () => {
  const amounts = [1n, 2n ** 32n, 2n ** 53n - 1n, 2n ** 53n, 2n ** 53n + 1n, 2n ** 63n - 1n];
  for (const amount of amounts) {
    const want = Buffer.alloc(8);
    want.writeBigInt64BE(amount);
    const got = canonicalTransfer({ ...base, amount }).subarray(52, 60);
    assert.equal(got.toString('hex'), want.toString('hex'), `amount ${amount}`);
  }
  const max = { ...base, code: 65_535, flags: 15, timeoutSeconds: 2 ** 32 - 1 };
  assert.equal(canonicalTransfer(max).subarray(79, 86).toString('hex'), 'ffff0fffffffff');
  assert.throws(() => canonicalTransfer({ ...base, code: 65_536 }));
  assert.throws(() => canonicalTransfer({ ...base, timeoutSeconds: 2 ** 32 }));
  assert.throws(() => canonicalTransfer({ ...base, amount: 2n ** 63n }));
  // Longer than the leaf's reused buffer, and multi-byte: the leaf still hashes every byte.
  const userData = 'é€😀x'.repeat(400);
  const long = canonicalTransfer({ ...base, userData });
  assert.equal(long.readUInt32BE(95), Buffer.byteLength(userData, 'utf8'));
  assert.equal(long.subarray(99).toString('utf8'), userData);
  for (const t of [{ ...base, userData }, base, { ...base, userData: null }]) {
    assert.deepEqual(transferLeaf(t), merkleLeafHash(canonicalTransfer(t)));
  }
  // Packed as a batch packs its leaves: each at its offset, its neighbours left alone.
  const packed = Buffer.alloc(3 * 32 + 1, 0xee);
  const ts = [{ ...base, userData: 'é€😀y'.repeat(500) }, base, { ...base, userData }];
  ts.forEach((t, i) => transferLeafInto(t, packed, 1 + 32 * i));
  assert.equal(packed[0], 0xee);
  ts.forEach((t, i) => {
    const at = 1 + 32 * i;
    assert.deepEqual(packed.subarray(at, at + 32), merkleLeafHash(canonicalTransfer(t)));
  });
});

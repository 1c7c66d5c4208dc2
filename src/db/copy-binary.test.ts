import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createTestDb } from '../../test/helpers/db.ts';
import { BinaryRows, binaryCopy, copyIn } from './index.ts';

// The encoder is checked against PostgreSQL itself: the server's `COPY … TO STDOUT (FORMAT
// binary)` of the same rows must be byte for byte what BinaryRows wrote, and the rows must
// load back with the values they were made from.

interface Row {
  id: string | null;
  n: bigint | null;
  i: number | null;
  t: string | null;
  b: Buffer | null;
  at: number | null;
}

const ROWS: Row[] = [
  {
    id: '0193a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b',
    n: -9223372036854775808n,
    i: -2147483648,
    t: 'tab\there, line\nbreak, back\\slash, 日本語 ¥',
    b: Buffer.from([0, 255, 92, 10]),
    at: Date.UTC(2026, 10, 21, 16, 2, 3, 456),
  },
  {
    id: 'FFFFFFFF-FFFF-4FFF-BFFF-FFFFFFFFFFFF',
    n: 9223372036854775807n,
    i: 2147483647,
    t: '',
    b: Buffer.alloc(0),
    // Before PostgreSQL's epoch: the microseconds are negative.
    at: Date.UTC(1969, 11, 31, 23, 59, 59, 999),
  },
  { id: null, n: null, i: null, t: null, b: null, at: null },
  // Within ±2^53 an int8 is written from one exact number; just outside, through BigInt.
  { id: null, n: 4200n, i: 7, t: 'x', b: null, at: 0 },
  { id: null, n: -(2n ** 53n) + 1n, i: -1, t: null, b: null, at: -1 },
  { id: null, n: 2n ** 53n, i: 0, t: null, b: null, at: Date.UTC(2000, 0, 1) },
  { id: null, n: -(2n ** 32n), i: 65_536, t: null, b: null, at: 1764871200000 },
];

function encode(rows: readonly Row[]): Buffer[] {
  const out = new BinaryRows(16);
  for (const r of rows) {
    out.row(6).uuid(r.id).int8(r.n).int4(r.i).text(r.t).bytea(r.b).timestamptz(r.at);
  }
  return [...binaryCopy([out.take()])];
}

test('binary COPY rows load back exactly and match the server’s own encoding', async (t) => {
  const db = await createTestDb({ migrate: false });
  t.after(() => db.close());
  await db.owner`
    create table c (k serial, id uuid, n int8, i int4, t text, b bytea, at timestamptz)`;
  const ours = Buffer.concat(encode(ROWS));
  await db.sql.begin((tx) =>
    copyIn(tx`copy c (id, n, i, t, b, at) from stdin (format binary)`, encode(ROWS)),
  );
  const back = await db.sql<{ id: string | null; n: bigint | null; i: number | null }[]>`
    select id, n, i, t, b, at from c order by k`;
  assert.deepEqual(
    back.map((r) => ({ ...r })),
    ROWS.map((r) => ({
      ...r,
      id: r.id?.toLowerCase() ?? null,
      at: r.at === null ? null : new Date(r.at),
    })),
  );
  const theirs: Buffer[] = [];
  const stream = await db.sql`copy (select id, n, i, t, b, at from c order by k)
                              to stdout (format binary)`.readable();
  for await (const chunk of stream) theirs.push(chunk as Buffer);
  assert.equal(Buffer.concat(theirs).toString('hex'), ours.toString('hex'));
});

test('a malformed uuid or time is refused before anything is sent', () => {
  const rows = new BinaryRows();
  for (const bad of [
    '0193a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5',
    '0193a1b2xc3d4-7e5f-8a9b-0c1d2e3f4a5b',
    '0193a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5g',
    '0193a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a\u0100b',
  ]) {
    assert.throws(() => rows.uuid(bad), TypeError, bad);
  }
  assert.throws(() => rows.timestamptz(Number.NaN), TypeError);
});

test('a large write grows the buffer and take() hands out each part once', () => {
  const rows = new BinaryRows(8);
  rows.row(1).text('x'.repeat(100_000));
  const first = rows.take();
  assert.equal(first.length, 2 + 4 + 100_000);
  assert.equal(first.readInt32BE(2), 100_000);
  rows.row(1).int4(7);
  const second = rows.take();
  assert.deepEqual([...second], [0, 1, 0, 0, 0, 4, 0, 0, 0, 7]);
  assert.equal(first.readInt32BE(2), 100_000, 'the first part is not overwritten');
});

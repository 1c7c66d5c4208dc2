import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createTestDb } from '../../test/helpers/db.ts';
import { int8Array, storedUuidArray, textArray, uuidArray } from './array.ts';

// What goes in comes back exactly, whatever the text holds, through PostgreSQL's own parser.

test('textArray round-trips every kind of text and null through PostgreSQL', async (t) => {
  const db = await createTestDb();
  t.after(() => db.close());
  const values = [
    'plain',
    '',
    'NULL',
    null,
    'with "quotes" and \\backslashes\\ and \\"both\\"',
    '{braces},commas, and spaces ',
    '{"json":"object","n":[1,2],"s":"a\\"b"}',
    'tab\tnew\nline\r',
    '日本語 ¥1,200 — emoji 💴',
    '\\',
    '"',
  ];
  // Read back row by row (unnest), so that the server's parse is checked, not the driver's.
  const rows = await db.sql<{ v: string | null }[]>`
    select v from unnest(${textArray(values)}::text[]) with ordinality as u(v, n) order by n`;
  assert.deepEqual(
    rows.map((r) => r.v),
    values,
  );
  const [empty] = await db.sql<{ n: number | null }[]>`
    select cardinality(${textArray([])}::text[]) as n`;
  assert.equal(empty?.n, 0);
});

test('uuidArray and int8Array round-trip; a string that is not a uuid is refused', async (t) => {
  const db = await createTestDb();
  t.after(() => db.close());
  const ids = ['0199a1b2-0000-7000-8000-000000000000', 'ffffffff-ffff-4fff-bfff-ffffffffffff'];
  const amounts = [0n, -1n, 9_223_372_036_854_775_807n, -9_223_372_036_854_775_808n];
  const [row] = await db.sql<{ ids: string[]; amounts: string[]; stored: string[] }[]>`
    select ${uuidArray(ids)}::uuid[]::text[] as ids,
           ${int8Array(amounts)}::int8[]::text[] as amounts,
           ${storedUuidArray(ids)}::uuid[]::text[] as stored`;
  assert.deepEqual(row?.ids, ids);
  assert.deepEqual(row?.stored, ids);
  assert.deepEqual(row?.amounts, amounts.map(String));
  for (const bad of [
    'x}',
    '0199a1b2-0000-7000-8000-000000000000,ffffffff-ffff-4fff-bfff-ffffffffffff',
    '',
  ]) {
    assert.throws(() => uuidArray([bad]), TypeError);
  }
});

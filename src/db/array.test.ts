import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createTestDb } from '../../test/helpers/db.ts';
import { textArray } from './array.ts';

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

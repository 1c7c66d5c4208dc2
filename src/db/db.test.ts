import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createTestDb } from '../../test/helpers/db.ts';
import { migrate } from './index.ts';

test('migrations apply once and record their checksums', async (t) => {
  const db = await createTestDb();
  t.after(() => db.close());
  const again = await migrate(db.sql);
  assert.deepEqual(again.applied, []);
  const rows = await db.sql`select version, checksum from kinko_migrations order by version`;
  assert.equal(rows.length, again.current);
});

test('int8 columns come back as bigint', async (t) => {
  const db = await createTestDb({ migrate: false });
  t.after(() => db.close());
  const [row] = await db.sql`select 9007199254740993::int8 as n`;
  assert.equal(row?.['n'], 9007199254740993n);
});

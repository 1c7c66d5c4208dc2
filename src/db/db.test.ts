import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createTestDb } from '../../test/helpers/db.ts';
import { copyBytea, copyField, copyIn, migrate } from './index.ts';

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

test('COPY writes rows with escaped text, nulls and bytea', async (t) => {
  const db = await createTestDb({ migrate: false });
  t.after(() => db.close());
  await db.owner`create table c (id int primary key, s text, b bytea)`;
  const text = 'tab\there, line\nbreak, back\\slash, cr\r';
  const rows1 = `1\t${copyField(text)}\t${copyBytea(Buffer.from([0, 255, 92]))}\n`;
  const rows2 = `2\t${copyField(null)}\t\\N\n`;
  await db.sql.begin((tx) => copyIn(tx`copy c (id, s, b) from stdin`, [rows1, rows2]));
  const rows = await db.sql<{ id: number; s: string | null; b: Buffer | null }[]>`
    select id, s, b from c order by id`;
  assert.equal(rows[0]?.s, text);
  assert.deepEqual(rows[0]?.b, Buffer.from([0, 255, 92]));
  assert.equal(rows[1]?.s, null);
});

test('a COPY the server rejects fails with its error and rolls the transaction back', async (t) => {
  // postgres.js 3.4 leaves such a COPY unsettled (porsager/postgres#1173); copyIn must not.
  const db = await createTestDb({ migrate: false });
  t.after(() => db.close());
  await db.owner`create table c (id int primary key)`;
  await db.sql`insert into c values (1)`;
  for (let i = 0; i < 10; i++) {
    await assert.rejects(
      db.sql.begin(async (tx) => {
        await tx`insert into c values (${100 + i})`;
        await copyIn(tx`copy c (id) from stdin`, '2\n1\n');
      }),
      (e: { code?: string }) => e.code === '23505',
    );
  }
  const [row] = await db.sql<{ n: bigint }[]>`select count(*) as n from c`;
  assert.equal(row?.n, 1n);
  const [idle] = await db.sql<{ n: bigint }[]>`
    select count(*) as n from pg_stat_activity
    where datname = current_database() and state like 'idle in transaction%'`;
  assert.equal(idle?.n, 0n);
});

test('a COPY whose rows fail to be made is abandoned and the transaction rolls back', async (t) => {
  const db = await createTestDb({ migrate: false });
  t.after(() => db.close());
  await db.owner`create table c (id int primary key)`;
  function* rows(): Generator<string> {
    yield '1\n';
    throw new Error('row source failed');
  }
  await assert.rejects(
    db.sql.begin((tx) => copyIn(tx`copy c (id) from stdin`, rows())),
    /row source failed/,
  );
  const [row] = await db.sql<{ n: bigint }[]>`select count(*) as n from c`;
  assert.equal(row?.n, 0n);
});

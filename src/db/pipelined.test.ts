import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createTestDb } from '../../test/helpers/db.ts';
import type { Tx } from './index.ts';
import { allSent, beginReading, beginWith, connect, withLastWrites } from './index.ts';

test('beginWith commits, answers the first statement, and rolls back on failure', async (t) => {
  const db = await createTestDb({ migrate: false });
  t.after(() => db.close());
  await db.owner`create table p (id int primary key)`;
  const rows = await beginWith(db.sql, `select 'x' as first`, async (tx, opened) => {
    // Sent before BEGIN's answer came back: pipelined behind it, inside the transaction.
    const inside = tx<{ open: boolean }[]>`select now() = statement_timestamp() as open`;
    const first = await opened;
    await tx`insert into p values (1)`;
    return { first, inside: await inside };
  });
  assert.deepEqual([...rows.first], [{ first: 'x' }]);
  assert.equal(rows.inside[0]?.open, false, 'the statement ran in the open transaction');
  await assert.rejects(
    beginWith(db.sql, 'select 1', async (tx, opened) => {
      await opened;
      await tx`insert into p values (2)`;
      await tx`insert into p values (1)`;
    }),
    { code: '23505' },
  );
  // A first statement that fails fails the transaction before fn could write.
  await assert.rejects(
    beginWith(db.sql, 'select 1 / 0', async (_tx, opened) => {
      await opened;
    }),
    { code: '22012' },
  );
  const ids = await db.sql<{ id: number }[]>`select id from p order by id`;
  assert.deepEqual(
    ids.map((r) => r.id),
    [1],
  );
});

test('the pool serves on after a connection dies inside beginWith', async (t) => {
  const db = await createTestDb({ migrate: false });
  t.after(() => db.close());
  const sql = connect(db.url, { connectionsMax: 1 });
  t.after(() => sql.end({ timeout: 5 }));
  const failed = beginWith(sql, 'select pg_backend_pid() as pid', async (tx, opened) => {
    const [row] = await opened;
    await db.owner`select pg_terminate_backend(${(row as { pid: number }).pid})`;
    await tx`select 1`;
  });
  await assert.rejects(failed);
  // The pool's one connection reconnects: the next statements run, inside beginWith or not.
  assert.deepEqual([...(await sql`select 1 as one`)], [{ one: 1 }]);
  const again = await beginWith(sql, 'select 2 as two', async (_tx, opened) => opened);
  assert.deepEqual([...again], [{ two: 2 }]);
});

test('beginReading sends its reads behind BEGIN and writes only after they answered', async (t) => {
  const db = await createTestDb({ migrate: false });
  t.after(() => db.close());
  await db.owner`create table r (id int primary key)`;
  await db.owner`insert into r values (1)`;
  const got = await beginReading(
    db.sql,
    async (tx) => {
      const [row] = await tx<{ id: number; open: boolean }[]>`
        select id, now() <> statement_timestamp() as open from r where id = ${1} for update`;
      return row;
    },
    async (tx, row) => {
      await tx`insert into r values (${(row?.id ?? 0) + 1})`;
      return row;
    },
  );
  assert.deepEqual({ ...got }, { id: 1, open: true }, 'the read ran in the open transaction');
  // A write that fails rolls back what fn wrote before it.
  await assert.rejects(
    beginReading(
      db.sql,
      async () => undefined,
      async (tx) => {
        await tx`insert into r values (3)`;
        await tx`insert into r values (1)`;
      },
    ),
    { code: '23505' },
  );
  // A read that fails fails the transaction before fn is called.
  let called = false;
  await assert.rejects(
    beginReading(
      db.sql,
      (tx) => tx`select 1 / 0`,
      async (tx) => {
        called = true;
        await tx`insert into r values (4)`;
      },
    ),
    { code: '22012' },
  );
  assert.equal(called, false);
  const ids = await db.sql<{ id: number }[]>`select id from r order by id`;
  assert.deepEqual(
    ids.map((r) => r.id),
    [1, 2],
  );
});

test('the pool serves on after a connection dies inside beginReading', async (t) => {
  const db = await createTestDb({ migrate: false });
  t.after(() => db.close());
  const sql = connect(db.url, { connectionsMax: 1 });
  t.after(() => sql.end({ timeout: 5 }));
  const failed = beginReading(
    sql,
    async (tx) => (await tx<{ pid: number }[]>`select pg_backend_pid() as pid`)[0]!.pid,
    async (tx, pid) => {
      await db.owner`select pg_terminate_backend(${pid})`;
      await tx`select 1`;
    },
  );
  await assert.rejects(failed);
  assert.deepEqual([...(await sql`select 1 as one`)], [{ one: 1 }]);
  const again = await beginReading(
    sql,
    (tx) => tx`select 2 as two`,
    async (_tx, rows) => [...rows],
  );
  assert.deepEqual(again, [{ two: 2 }]);
});

test('allSent lets ROLLBACK follow every statement of a failed step', async (t) => {
  const db = await createTestDb({ migrate: false });
  t.after(() => db.close());
  await db.owner`create table s (id int primary key)`;
  // One part of the step fails at once; another sends a second statement a little later (as
  // audit.append does after its INSERT). Promise.all would let ROLLBACK go first and that
  // statement then run on its own, outside any transaction.
  const later = async (tx: Tx) => {
    await tx`select 1`;
    await new Promise((r) => setTimeout(r, 50));
    await tx`insert into s values (1)`;
  };
  await assert.rejects(
    beginReading(
      db.sql,
      async () => undefined,
      (tx) => allSent([later(tx), tx`select 1 / 0`]),
    ),
    { code: '22012' },
  );
  await new Promise((r) => setTimeout(r, 100));
  const rows = await db.sql`select id from s`;
  assert.equal(rows.length, 0, 'nothing committed outside the transaction');
  assert.deepEqual(await allSent([Promise.resolve(1), Promise.resolve('two')]), [1, 'two']);
});

test('withLastWrites: a last write that fails behind COMMIT undoes the transaction', async (t) => {
  const db = await createTestDb({ migrate: false });
  t.after(() => db.close());
  await db.owner`create table p (id int primary key)`;
  const last = (tx: Tx, id: number) => {
    const sent = tx`insert into p values (${id})`.then(() => undefined);
    sent.catch(() => undefined);
    return sent;
  };
  // Committed: the first write answered, the last one left unawaited, COMMIT behind it.
  const done = await withLastWrites((writes) =>
    beginReading(
      db.sql,
      async () => undefined,
      async (tx) => {
        await tx`insert into p values (1)`;
        writes.push(last(tx, 2));
        return 'done';
      },
    ),
  );
  assert.equal(done, 'done');
  // The last write fails (a stored id) after fn resolved: PostgreSQL turns COMMIT into a
  // rollback, the driver reports nothing, and withLastWrites throws the write's error.
  await assert.rejects(
    withLastWrites((writes) =>
      beginReading(
        db.sql,
        async () => undefined,
        async (tx) => {
          await tx`insert into p values (3)`;
          writes.push(last(tx, 1));
        },
      ),
    ),
    { code: '23505' },
  );
  const ids = await db.sql<{ id: number }[]>`select id from p order by id`;
  assert.deepEqual(
    ids.map((r) => r.id),
    [1, 2],
  );
});

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createTestDb } from '../../test/helpers/db.ts';
import { beginWith, connect } from './index.ts';

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

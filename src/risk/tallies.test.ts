import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { createTestDb, type TestDb } from '../../test/helpers/db.ts';
import { addTallies, decisionCounts, shadowComparison, type Tally } from './store.ts';

// Plain allows are tallied per minute; concurrent decisions must not queue on one tally
// row: each open transaction adds to a shard of its own, and every reader sums the shards.

let db: TestDb;
before(async () => {
  db = await createTestDb();
});
after(() => db.close());

const MINUTE = new Date(Date.UTC(2026, 3, 1, 9, 0));
const allow = (count: number): Tally => ({
  minute: MINUTE,
  kind: 'topup',
  version: 1,
  shadowVersion: 2,
  count,
});

/** Settles with 'blocked' when `work` has not answered within `ms`. */
function within<T>(work: Promise<T>, ms: number): Promise<T | 'blocked'> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<'blocked'>((resolve) => {
    timer = setTimeout(() => resolve('blocked'), ms);
  });
  return Promise.race([work, late]).finally(() => clearTimeout(timer));
}

test('two open transactions add to the same tally without waiting for each other', async () => {
  const first = await db.sql.reserve();
  const second = await db.sql.reserve();
  try {
    await first`begin`;
    await addTallies(first, [allow(1)]);
    await addTallies(first, [allow(2)]);
    await second`begin`;
    // The first transaction is still open, its tally row locked: the second's insert must
    // return all the same (it took another shard), not wait for the first's COMMIT.
    const added = await within(
      addTallies(second, [allow(4)]).then(() => 'added' as const),
      3000,
    );
    assert.equal(added, 'added', 'the second transaction waited for the first one');
    // The probe stops at the first free shard: one advisory lock, not one per shard.
    const [backend] = await second<{ pid: number }[]>`select pg_backend_pid() as pid`;
    const [held] = await db.sql<{ n: number }[]>`
      select count(*)::int as n from pg_locks
      where pid = ${backend!.pid} and locktype = 'advisory'`;
    assert.equal(held?.n, 1);
    await second`commit`;
    await first`commit`;
  } finally {
    first.release();
    second.release();
  }
  const rows = await db.sql<{ shard: number; count: bigint }[]>`
    select shard, count from risk_decision_tallies order by shard`;
  assert.deepEqual(
    rows.map((r) => [r.shard, Number(r.count)]),
    [
      [0, 3],
      [1, 4],
    ],
    'one shard per transaction; a second add in one transaction kept its shard',
  );
  // Every reader sums across the shards.
  const counts = await decisionCounts(db.sql, MINUTE, new Date(MINUTE.getTime() + 60_000));
  assert.deepEqual(
    counts.map((c) => [c.decision, Number(c.count)]),
    [['allow', 7]],
  );
  const compared = await shadowComparison(db.sql, 2, MINUTE, 5);
  assert.equal(Number(compared.compared), 7);
});

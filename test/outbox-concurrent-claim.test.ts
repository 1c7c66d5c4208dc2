import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createTestDb } from './helpers/db.ts';
import { connect } from '../src/db/index.ts';
import { manualClock } from '../src/lib/clock.ts';
import { createOutbox } from '../src/outbox/index.ts';

// Many workers, each on its own connection, claim at once: FOR UPDATE SKIP LOCKED must give
// every event to exactly one of them, and together they must drain the outbox.

const limits = { outboxClaimBatchSizeMax: 100, outboxLeaseSecondsMax: 60, outboxAttemptsMax: 5 };

test('concurrent claimers never receive the same event and together receive all', async (t) => {
  const db = await createTestDb();
  t.after(() => db.close());
  const clock = manualClock();
  const writer = createOutbox({ sql: db.sql, clock, limits });
  const total = 600;
  const ids = await db.sql.begin((tx) =>
    writer.enqueue(
      tx,
      Array.from({ length: total }, (_, i) => ({ topic: 'webhook.order.paid', payload: { i } })),
    ),
  );
  const workers = 8;
  const pools = Array.from({ length: workers }, () => connect(db.url, { connectionsMax: 1 }));
  t.after(() => Promise.all(pools.map((p) => p.end({ timeout: 5 }))));
  const received = await Promise.all(
    pools.map(async (sql, w) => {
      const outbox = createOutbox({ sql, clock, limits });
      const mine: bigint[] = [];
      for (;;) {
        const batch = await outbox.claim({ max: 7, leaseSeconds: 60, owner: `worker-${w}` });
        if (batch.length === 0) return mine;
        for (const e of batch) {
          mine.push(e.id);
          // Completing half of them mixes writes into the race, as real workers do.
          if (e.id % 2n === 0n) {
            assert.equal(await outbox.complete(e.id, `worker-${w}`), 'completed');
          }
        }
      }
    }),
  );
  const all = received.flat();
  assert.equal(all.length, total, 'no event was handed out twice');
  assert.equal(new Set(all).size, total);
  assert.deepEqual([...all].sort((a, b) => (a < b ? -1 : 1)), ids);
  assert.ok(received.filter((r) => r.length > 0).length > 1, 'the work was shared');
});

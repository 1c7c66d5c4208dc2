import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createTestDb } from '../../test/helpers/db.ts';
import { manualClock } from '../lib/clock.ts';
import { createOutbox, PermanentFailure, type OutboxEvent } from './index.ts';

// Taking events in the handler's transaction (`inTransaction`): the events are deleted in the
// transaction that does their work, so both commit together or neither does; a batch that
// throws is taken again one event at a time, and the poison event alone counts an attempt.
// The handlers' work here is an event of another topic, written in the same transaction.

const limits = { outboxClaimBatchSizeMax: 100, outboxLeaseSecondsMax: 60, outboxAttemptsMax: 3 };
const topic = 'email.receipt';
const done = 'email.sent';

async function setup(t: { after(fn: () => Promise<void>): void }, count: number) {
  const db = await createTestDb();
  t.after(() => db.close());
  const clock = manualClock();
  const outbox = createOutbox({ sql: db.sql, clock, limits });
  await db.sql.begin((tx) =>
    outbox.enqueue(
      tx,
      Array.from({ length: count }, (_, i) => ({ topic, payload: { i } })),
    ),
  );
  const rows = (t: string) =>
    db.sql<{ i: number; attempts: number; leased: boolean }[]>`
      select (payload->>'i')::int as i, attempts, lease_owner is not null as leased
      from outbox_events where topic = ${t} order by id`;
  return { db, clock, outbox, rows };
}

const indexOf = (e: OutboxEvent) => (e.payload as { i: number }).i;

test('events taken in a transaction are gone exactly when their work commits', async (t) => {
  const { db, outbox, rows } = await setup(t, 5);
  const controller = new AbortController();
  const batches: number[][] = [];
  await outbox.runWorker({
    topics: [topic],
    owner: 'worker-1',
    pollMs: 10,
    signal: controller.signal,
    inTransaction: async (tx, events) => {
      batches.push(events.map(indexOf));
      await outbox.enqueue(
        tx,
        events.map((e) => ({ topic: done, payload: { i: indexOf(e) } })),
      );
      // Not committed yet: any other connection still sees every event pending.
      const [seen] = await db.sql<{ n: bigint }[]>`
        select count(*) as n from outbox_events where topic = ${topic}`;
      assert.equal(seen?.n, 5n);
      controller.abort();
    },
  });
  assert.deepEqual(batches, [[0, 1, 2, 3, 4]]);
  assert.deepEqual([...(await rows(topic))], [], 'taken and completed');
  assert.deepEqual(
    (await rows(done)).map((r) => r.i),
    [0, 1, 2, 3, 4],
  );
});

test('a batch that throws is taken one at a time: the poison event fails alone', async (t) => {
  const { clock, outbox, rows } = await setup(t, 5);
  const controller = new AbortController();
  const calls: number[][] = [];
  const run = () =>
    outbox.runWorker({
      topics: [topic],
      owner: 'worker-1',
      pollMs: 10,
      signal: controller.signal,
      inTransaction: async (tx, events) => {
        calls.push(events.map(indexOf));
        await outbox.enqueue(
          tx,
          events.map((e) => ({ topic: done, payload: { i: indexOf(e) } })),
        );
        if (events.some((e) => indexOf(e) === 3)) {
          throw Object.assign(new Error('poison'), { retryAfterSeconds: 30 });
        }
        if (calls.length === 6) controller.abort();
      },
    });
  await run();
  assert.deepEqual(calls, [[0, 1, 2, 3, 4], [0], [1], [2], [3], [4]]);
  assert.deepEqual(
    (await rows(topic)).map((r) => [r.i, r.attempts, r.leased]),
    [[3, 1, false]],
    'the poison event is back, one attempt counted, no lease',
  );
  assert.deepEqual(
    (await rows(done)).map((r) => r.i),
    [0, 1, 2, 4],
    'the work of the batch and of the poison event rolled back',
  );
  // It backs off as a leased event would: not before retryAfterSeconds.
  const later = new AbortController();
  const retried: number[] = [];
  const again = outbox.runWorker({
    topics: [topic],
    owner: 'worker-2',
    pollMs: 10,
    signal: later.signal,
    inTransaction: async (_tx, events) => {
      retried.push(...events.map(indexOf));
      later.abort();
    },
  });
  await new Promise((r) => setTimeout(r, 50));
  assert.deepEqual(retried, [], 'still backing off');
  clock.advanceMs(30_000);
  await again;
  assert.deepEqual(retried, [3]);
  assert.deepEqual([...(await rows(topic))], []);
});

test('the last allowed attempt of a taken event dead-letters it', async (t) => {
  const { clock, outbox, rows } = await setup(t, 1);
  for (let attempt = 1; attempt <= limits.outboxAttemptsMax; attempt++) {
    const controller = new AbortController();
    await outbox.runWorker({
      topics: [topic],
      owner: 'worker-1',
      pollMs: 10,
      signal: controller.signal,
      inTransaction: async () => {
        controller.abort();
        throw new Error(`refused ${attempt}`);
      },
    });
    clock.advanceMs(3600_000);
  }
  const stats = await outbox.stats();
  assert.deepEqual(
    stats.map((s) => [s.topic, s.ready, s.dead]),
    [[topic, 0, 1]],
  );
  assert.equal((await rows(topic))[0]?.attempts, limits.outboxAttemptsMax);
});

test('a taken event that fails permanently is dead at its first attempt', async (t) => {
  const { outbox, rows } = await setup(t, 1);
  const controller = new AbortController();
  await outbox.runWorker({
    topics: [topic],
    owner: 'worker-1',
    pollMs: 10,
    signal: controller.signal,
    inTransaction: async () => {
      controller.abort();
      throw new PermanentFailure('no such mailbox');
    },
  });
  assert.deepEqual(
    (await outbox.stats()).map((s) => [s.topic, s.ready, s.dead]),
    [[topic, 0, 1]],
  );
  assert.equal((await rows(topic))[0]?.attempts, 1);
});

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createTestDb } from '../../test/helpers/db.ts';
import { manualClock } from '../lib/clock.ts';
import { createOutbox, type OutboxEvent } from './index.ts';

// Batch handling: a claimed batch is handled together and completed with one statement; a
// batch that throws is handled again one event at a time, so a poison event fails alone.

const limits = { outboxClaimBatchSizeMax: 100, outboxLeaseSecondsMax: 60, outboxAttemptsMax: 3 };
const topic = 'email.receipt';

async function setup(t: { after(fn: () => Promise<void>): void }, count: number) {
  const db = await createTestDb();
  t.after(() => db.close());
  const clock = manualClock();
  const outbox = createOutbox({ sql: db.sql, clock, limits });
  const ids = await db.sql.begin((tx) =>
    outbox.enqueue(
      tx,
      Array.from({ length: count }, (_, i) => ({ topic, payload: { i } })),
    ),
  );
  // A delivered event is deleted: gone means delivered, and its attempts are not kept.
  const rows = async () => {
    const left = await db.sql<{ id: bigint; attempts: number; leased: boolean }[]>`
      select id, attempts, lease_owner is not null as leased from outbox_events`;
    const byId = new Map(left.map((r) => [r.id, r]));
    return ids.map((id) => {
      const r = byId.get(id);
      return { delivered: !r, attempts: r ? r.attempts : null, leased: r?.leased ?? false };
    });
  };
  return { db, clock, outbox, ids, rows };
}

const indexOf = (e: OutboxEvent) => (e.payload as { i: number }).i;

test('completeMany completes only the events whose lease the owner still holds', async (t) => {
  const { clock, outbox, ids, rows } = await setup(t, 4);
  const a = await outbox.claim({ max: 2, leaseSeconds: 10, owner: 'worker-a' });
  clock.advanceMs(10_000);
  const b = await outbox.claim({ max: 2, leaseSeconds: 10, owner: 'worker-b' });
  assert.deepEqual(
    b.map((e) => e.id),
    [ids[0], ids[1]],
    'b took over the lapsed leases',
  );
  const c = await outbox.claim({ max: 2, leaseSeconds: 60, owner: 'worker-a' });
  assert.deepEqual(
    c.map((e) => e.id),
    [ids[2], ids[3]],
  );
  const all = [...a, ...c].map((e) => e.id);
  assert.deepEqual(await outbox.completeMany(all, 'worker-a'), [ids[2], ids[3]]);
  assert.deepEqual(
    (await rows()).map((r) => r.delivered),
    [false, false, true, true],
    'the events worker-b holds are not completed by worker-a',
  );
  assert.deepEqual(await outbox.completeMany(all, 'worker-a'), [], 'completing twice is refused');
  assert.deepEqual(await outbox.completeMany([], 'worker-a'), []);
  assert.deepEqual(
    await outbox.completeMany(
      b.map((e) => e.id),
      'worker-b',
    ),
    [ids[0], ids[1]],
  );
});

test('the worker gives a batch to the batch handler and completes it at once', async (t) => {
  const { outbox, rows } = await setup(t, 5);
  const controller = new AbortController();
  const batches: number[][] = [];
  await outbox.runWorker({
    owner: 'worker-1',
    pollMs: 10,
    signal: controller.signal,
    handler: async () => assert.fail('the single-event handler is not used'),
    batchHandler: async (events) => {
      batches.push(events.map(indexOf));
      controller.abort();
    },
  });
  assert.deepEqual(batches, [[0, 1, 2, 3, 4]]);
  const after = await rows();
  assert.ok(after.every((r) => r.delivered && !r.leased));
});

test('a batch that throws is handled one at a time: the poison event fails alone', async (t) => {
  const { clock, outbox, rows } = await setup(t, 5);
  const controller = new AbortController();
  const batches: number[][] = [];
  const singles: number[] = [];
  const poison = (e: OutboxEvent) => indexOf(e) === 3;
  await outbox.runWorker({
    owner: 'worker-1',
    pollMs: 10,
    signal: controller.signal,
    handler: async (event) => {
      singles.push(indexOf(event));
      if (poison(event)) throw Object.assign(new Error('poison'), { retryAfterSeconds: 30 });
      if (singles.length === 5) controller.abort();
    },
    batchHandler: async (events) => {
      batches.push(events.map(indexOf));
      if (events.some(poison)) throw new Error('one of these is poison');
    },
  });
  assert.deepEqual(batches, [[0, 1, 2, 3, 4]]);
  assert.deepEqual(singles, [0, 1, 2, 3, 4]);
  const after = await rows();
  assert.deepEqual(
    after.map((r) => r.delivered),
    [true, true, true, false, true],
  );
  assert.equal(after[3]?.attempts, 1);
  assert.equal(after[3]?.leased, false);

  // Retried later, the event that failed before is handled alone, not in a batch.
  clock.advanceMs(30_000);
  const again = new AbortController();
  await outbox.runWorker({
    owner: 'worker-2',
    pollMs: 10,
    signal: again.signal,
    handler: async (event) => {
      singles.push(indexOf(event));
      again.abort();
    },
    batchHandler: async () => assert.fail('a retried event does not join a batch'),
  });
  assert.deepEqual(singles.slice(5), [3]);
  assert.ok((await rows()).every((r) => r.delivered));
});

test('a batch handler may fail some events alone and complete the others', async (t) => {
  const { outbox, rows } = await setup(t, 4);
  const controller = new AbortController();
  await outbox.runWorker({
    owner: 'worker-1',
    pollMs: 10,
    signal: controller.signal,
    handler: async () => assert.fail('nothing is handled twice'),
    batchHandler: async (events) => {
      controller.abort();
      const failed = events.filter((e) => indexOf(e) % 2 === 1);
      return new Map(failed.map((e) => [e.id, new Error(`smtp refused ${indexOf(e)}`)]));
    },
  });
  const after = await rows();
  assert.deepEqual(
    after.map((r) => r.delivered),
    [true, false, true, false],
  );
  assert.deepEqual(
    after.map((r) => r.attempts),
    [null, 1, null, 1],
  );
  assert.ok(after.every((r) => !r.leased));
});

test('an aborted batch worker gives back the batch it did not handle', async (t) => {
  const { outbox } = await setup(t, 3);
  const controller = new AbortController();
  await outbox.runWorker({
    owner: 'worker-1',
    pollMs: 10,
    signal: controller.signal,
    handler: async () => assert.fail('not reached'),
    batchHandler: async (_events, signal) => {
      controller.abort();
      signal.throwIfAborted();
    },
  });
  const stats = await outbox.stats();
  assert.deepEqual(
    stats.map((s) => [s.ready, s.leased]),
    [[3, 0]],
  );
});

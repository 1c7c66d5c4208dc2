import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createTestDb, type TestDb } from '../../test/helpers/db.ts';
import { InvariantError } from '../lib/assert.ts';
import { manualClock } from '../lib/clock.ts';
import { createOutbox, PermanentFailure, type Outbox, type OutboxEvent } from './index.ts';

const limits = { outboxClaimBatchSizeMax: 100, outboxLeaseSecondsMax: 60, outboxAttemptsMax: 3 };

async function setup(t: { after(fn: () => Promise<void>): void }) {
  const db = await createTestDb();
  t.after(() => db.close());
  const clock = manualClock();
  const outbox = createOutbox({ sql: db.sql, clock, limits });
  return { db, clock, outbox };
}

async function enqueueOne(db: TestDb, outbox: Outbox, topic = 'webhook.payment.succeeded') {
  const [id] = await db.sql.begin((tx) => outbox.enqueue(tx, [{ topic, payload: { n: 1 } }]));
  assert.ok(id);
  return id;
}

test('enqueue commits and rolls back with the caller transaction', async (t) => {
  const { db, outbox } = await setup(t);
  await assert.rejects(
    db.sql.begin(async (tx) => {
      await outbox.enqueue(tx, [{ topic: 'webhook.payment.succeeded', payload: { lost: true } }]);
      throw new Error('the business change failed');
    }),
  );
  await db.sql.begin((tx) =>
    outbox.enqueue(tx, [
      {
        topic: 'webhook.payment.succeeded',
        key: 'mer_1',
        payload: { amount: 12345678901234567890n, password: 'hunter2', merchant: 'mer_1' },
      },
    ]),
  );
  const rows = await db.sql<{ payload: Record<string, unknown> }[]>`
    select payload from outbox_events`;
  assert.equal(rows.length, 1);
  assert.deepEqual(rows[0]?.payload, {
    amount: '12345678901234567890',
    password: '[redacted]',
    merchant: 'mer_1',
  });
});

test('card data in a payload is refused and the transaction rolls back', async (t) => {
  const { db, outbox } = await setup(t);
  for (const payload of [
    { note: 'card 4111 1111 1111 1111' },
    { card: { cvc: '123' } },
    { list: [{ security_code: '999' }] },
  ]) {
    await assert.rejects(
      db.sql.begin((tx) => outbox.enqueue(tx, [{ topic: 'email.receipt', payload }])),
      InvariantError,
    );
  }
  const [count] = await db.sql<{ n: bigint }[]>`select count(*) as n from outbox_events`;
  assert.equal(count?.n, 0n);
});

test('a lease that runs out makes the event claimable again, by someone else', async (t) => {
  const { db, clock, outbox } = await setup(t);
  const id = await enqueueOne(db, outbox);
  const a = await outbox.claim({ max: 10, leaseSeconds: 30, owner: 'worker-a' });
  assert.deepEqual(
    a.map((e) => e.id),
    [id],
  );
  assert.equal(a[0]?.attempts, 0);
  assert.deepEqual(await outbox.claim({ max: 10, leaseSeconds: 30, owner: 'worker-b' }), []);
  clock.advanceMs(29_999);
  assert.deepEqual(await outbox.claim({ max: 10, leaseSeconds: 30, owner: 'worker-b' }), []);
  clock.advanceMs(1);
  const b = await outbox.claim({ max: 10, leaseSeconds: 30, owner: 'worker-b' });
  assert.deepEqual(
    b.map((e) => e.id),
    [id],
  );
  assert.equal(b[0]?.attempts, 1, 'the lease that ran out counts as an attempt');
  assert.equal(await outbox.complete(id, 'worker-a'), 'lease_lost');
  assert.equal(await outbox.complete(id, 'worker-b'), 'completed');
  clock.advanceMs(3_600_000);
  assert.deepEqual(await outbox.claim({ max: 10, leaseSeconds: 30, owner: 'worker-c' }), []);
});

test('only the lease owner can complete or fail an event', async (t) => {
  const { db, outbox } = await setup(t);
  const id = await enqueueOne(db, outbox);
  await outbox.claim({ max: 1, leaseSeconds: 30, owner: 'worker-a' });
  assert.equal(await outbox.complete(id, 'worker-b'), 'lease_lost');
  assert.equal(await outbox.fail(id, 'worker-b', new Error('x')), 'lease_lost');
  assert.equal(await outbox.complete(id, 'worker-a'), 'completed');
  assert.equal(await outbox.complete(id, 'worker-a'), 'lease_lost', 'completing twice is refused');
});

test('failures back off exponentially and the last allowed attempt dead-letters', async (t) => {
  const { db, clock, outbox } = await setup(t);
  const id = await enqueueOne(db, outbox);
  const claim = () => outbox.claim({ max: 1, leaseSeconds: 30, owner: 'w' });
  const attempt = async (expectedDelaySeconds: number) => {
    clock.advanceMs(expectedDelaySeconds * 1000 - 1);
    assert.deepEqual(await claim(), [], `not before ${expectedDelaySeconds} s`);
    clock.advanceMs(1);
    assert.deepEqual(
      (await claim()).map((e) => e.id),
      [id],
    );
  };
  await attempt(0);
  assert.equal(await outbox.fail(id, 'w', new Error('502'), 5), 'retry_scheduled');
  await attempt(5);
  assert.equal(await outbox.fail(id, 'w', new Error('502'), 5), 'retry_scheduled');
  await attempt(10);
  assert.equal(await outbox.fail(id, 'w', new Error('still 502'), 5), 'dead');
  clock.advanceMs(86_400_000);
  assert.deepEqual(await claim(), []);
  const [row] = await db.sql<{ attempts: number; last_error: string; dead_at: Date | null }[]>`
    select attempts, last_error, dead_at from outbox_events`;
  assert.equal(row?.attempts, 3);
  assert.equal(row?.last_error, 'Error: still 502');
  assert.ok(row?.dead_at);
  const stats = await outbox.stats();
  const summary = stats.map((s) => [s.topic, s.ready, s.dead]);
  assert.deepEqual(summary, [['webhook.payment.succeeded', 0, 1]]);
});

test('a permanent failure dead-letters at once; any other error is retried', async (t) => {
  const { db, clock, outbox } = await setup(t);
  const id = await enqueueOne(db, outbox);
  const claim = () => outbox.claim({ max: 1, leaseSeconds: 30, owner: 'w' });
  await claim();
  // A plain error that calls itself permanent (as nodemailer's do) is not taken at its word.
  const soft = Object.assign(new Error('550 but retried'), { permanent: true });
  assert.equal(await outbox.fail(id, 'w', soft), 'retry_scheduled');
  clock.advanceMs(10_000);
  assert.equal((await claim()).length, 1);
  assert.equal(await outbox.fail(id, 'w', new PermanentFailure('no such mailbox')), 'dead');
  clock.advanceMs(86_400_000);
  assert.deepEqual(await claim(), []);
  assert.equal((await outbox.stats())[0]?.dead, 1);
});

test('an error message with a card number is masked before it is stored', async (t) => {
  const { db, outbox } = await setup(t);
  const id = await enqueueOne(db, outbox);
  await outbox.claim({ max: 1, leaseSeconds: 30, owner: 'w' });
  await outbox.fail(id, 'w', new Error('rejected 4111 1111 1111 1111'));
  const [row] = await db.sql<{ last_error: string }[]>`select last_error from outbox_events`;
  assert.doesNotMatch(row?.last_error ?? '', /4111 1111/);
});

test('a lease that runs out on the last allowed attempt dead-letters the event', async (t) => {
  const { db, clock, outbox } = await setup(t);
  const id = await enqueueOne(db, outbox);
  for (let i = 0; i < limits.outboxAttemptsMax; i++) {
    const got = await outbox.claim({ max: 1, leaseSeconds: 10, owner: `w${i}` });
    assert.deepEqual(
      got.map((e) => e.id),
      [id],
    );
    clock.advanceMs(10_000);
  }
  assert.deepEqual(await outbox.claim({ max: 1, leaseSeconds: 10, owner: 'late' }), []);
  assert.equal((await outbox.stats())[0]?.dead, 1);
});

test('claims filter by topic, honour availableAt and come oldest first', async (t) => {
  const { db, clock, outbox } = await setup(t);
  const later = new Date(clock.nowMs() + 60_000);
  const ids = await db.sql.begin((tx) =>
    outbox.enqueue(tx, [
      { topic: 'email.receipt', payload: { i: 1 } },
      { topic: 'webhook.payment.succeeded', payload: { i: 2 } },
      { topic: 'email.receipt', payload: { i: 3 }, availableAt: later },
      { topic: 'email.receipt', payload: { i: 4 } },
    ]),
  );
  const topics = ['email.receipt'];
  const got = await outbox.claim({ topics, max: 10, leaseSeconds: 5, owner: 'w' });
  assert.deepEqual(
    got.map((e) => e.id),
    [ids[0], ids[3]],
  );
  assert.deepEqual(
    got.map((e) => e.payload),
    [{ i: 1 }, { i: 4 }],
  );
  const stats = await outbox.stats();
  assert.deepEqual(
    stats.map((s) => [s.topic, s.ready, s.leased, s.waiting]),
    [
      ['email.receipt', 0, 2, 1],
      ['webhook.payment.succeeded', 1, 0, 0],
    ],
  );
});

test('the worker handles, completes and fails events, and stops when aborted', async (t) => {
  const { db, outbox } = await setup(t);
  await db.sql.begin((tx) =>
    outbox.enqueue(
      tx,
      Array.from({ length: 6 }, (_, i) => ({ topic: 'email.receipt', payload: { i } })),
    ),
  );
  const seen: OutboxEvent[] = [];
  const controller = new AbortController();
  const worker = outbox.runWorker({
    topics: ['email.receipt'],
    owner: 'worker-1',
    pollMs: 10,
    signal: controller.signal,
    handler: async (event) => {
      seen.push(event);
      if ((event.payload as { i: number }).i === 2) {
        throw Object.assign(new Error('mail server busy'), { retryAfterSeconds: 30 });
      }
      if (seen.length === 6) controller.abort();
    },
  });
  await worker;
  // Delivered events are deleted; the one that failed waits for its retry.
  const rows = await db.sql<{ i: number; attempts: number }[]>`
    select (payload->>'i')::int as i, attempts from outbox_events order by id`;
  assert.deepEqual(
    rows.map((r) => [r.i, r.attempts]),
    [[2, 1]],
  );
});

test('an aborted worker gives back events it claimed but did not handle', async (t) => {
  const { db, outbox } = await setup(t);
  await db.sql.begin((tx) =>
    outbox.enqueue(
      tx,
      Array.from({ length: 5 }, (_, i) => ({ topic: 'email.receipt', payload: { i } })),
    ),
  );
  const controller = new AbortController();
  await outbox.runWorker({
    owner: 'worker-1',
    pollMs: 10,
    signal: controller.signal,
    handler: async () => controller.abort(),
  });
  const stats = await outbox.stats();
  assert.deepEqual(
    stats.map((s) => [s.ready, s.leased]),
    [[4, 0]],
  );
});

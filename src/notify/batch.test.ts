import { test } from 'node:test';
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { manualClock } from '../lib/clock.ts';
import { createOutbox, PermanentFailure } from '../outbox/index.ts';
import { capturedLogger } from '../../test/helpers/log.ts';
import { createTestDb } from '../../test/helpers/db.ts';
import {
  createNotifier,
  DeliveryUnavailable,
  NOTIFY_TOPIC,
  notifyWorker,
  type NotifyMessage,
} from './index.ts';

// The notify worker delivers a claimed batch: mailbox messages with one insert, senders one
// message at a time; a message whose sender fails is failed and retried alone.

const limits = { outboxClaimBatchSizeMax: 100, outboxLeaseSecondsMax: 60, outboxAttemptsMax: 3 };

const messages: NotifyMessage[] = [
  { channel: 'email', to: 'a@example.com', subject: 'one', text: 'first' },
  { channel: 'sms', to: '+819000000001', subject: 'two', text: 'second' },
  { channel: 'email', to: 'b@example.com', subject: 'three', text: 'third' },
  { channel: 'sms', to: '+819000000002', subject: 'four', text: 'fourth' },
];

async function setup(t: { after(fn: () => Promise<void>): void }) {
  const db = await createTestDb();
  t.after(() => db.close());
  const clock = manualClock();
  const { log } = capturedLogger('fatal');
  const mailbox = async () =>
    (
      await db.sql<{ channel: string; address: string; subject: string; body: string }[]>`
        select channel, address, subject, body from notify_dev_mailbox order by id`
    ).map((r) => [r.channel, r.address, r.subject, r.body]);
  return { db, clock, log, mailbox };
}

test('deliverMany: mailbox messages in order, each sender outcome on its own', async (t) => {
  const { db, clock, log, mailbox } = await setup(t);
  const sent: string[] = [];
  const sms = {
    send: async (to: string, text: string) => {
      if (to.endsWith('2')) throw new Error('carrier refused');
      sent.push(`${to} ${text}`);
    },
  };
  const notifier = createNotifier({ sql: db.sql, clock, log, env: 'test', sms });
  const outcomes = await notifier.deliverMany(messages);
  assert.deepEqual(outcomes.slice(0, 3), [
    { via: 'dev_mailbox' },
    { via: 'sms' },
    { via: 'dev_mailbox' },
  ]);
  assert.match(String((outcomes[3] as { error: unknown }).error), /carrier refused/);
  assert.deepEqual(sent, ['+819000000001 second']);
  assert.deepEqual(await mailbox(), [
    ['email', 'a@example.com', 'one', 'first'],
    ['email', 'b@example.com', 'three', 'third'],
  ]);
  assert.deepEqual(await notifier.deliverMany([]), []);

  const prod = createNotifier({ sql: db.sql, clock, log, env: 'production', sms });
  const refused = await prod.deliverMany(messages.slice(0, 3));
  assert.ok((refused[0] as { error: unknown }).error instanceof DeliveryUnavailable);
  assert.deepEqual(refused[1], { via: 'sms' });
  assert.ok((refused[2] as { error: unknown }).error instanceof DeliveryUnavailable);
  assert.equal((await mailbox()).length, 2, 'production never writes to the dev mailbox');
});

test('the notify worker delivers a batch; a failing message is retried alone', async (t) => {
  const { db, clock, log, mailbox } = await setup(t);
  const outbox = createOutbox({ sql: db.sql, clock, limits });
  const payloads: object[] = [...messages.slice(0, 2), { channel: 'fax' }, ...messages.slice(2)];
  const ids = await db.sql.begin((tx) =>
    outbox.enqueue(
      tx,
      payloads.map((payload) => ({ topic: NOTIFY_TOPIC, payload })),
    ),
  );
  let carrierDown = true;
  const sms = {
    send: async (to: string) => {
      if (carrierDown && to.endsWith('2')) throw new Error('carrier down');
    },
  };
  const notifier = createNotifier({ sql: db.sql, clock, log, env: 'test', sms });
  const run = async () => {
    const controller = new AbortController();
    const worker = notifyWorker({ outbox, notifier, log, signal: controller.signal, pollMs: 10 });
    for (;;) {
      const [s] = await outbox.stats();
      if (!s || (s.ready === 0 && s.leased === 0)) break;
      await sleep(10);
    }
    controller.abort();
    await worker;
  };
  await run();
  // A delivered (or dropped) event is deleted; what is left waits for a retry.
  const rows = async () => {
    const left = await db.sql<{ id: bigint; attempts: number }[]>`
      select id, attempts from outbox_events`;
    const byId = new Map(left.map((r) => [r.id, r.attempts]));
    return ids.map((id) => ({ delivered: !byId.has(id), attempts: byId.get(id) ?? null }));
  };
  assert.deepEqual(
    (await rows()).map((r) => [r.delivered, r.attempts]),
    [
      [true, null],
      [true, null],
      [true, null],
      [true, null],
      [false, 1],
    ],
    'the malformed event is dropped, the refused SMS failed alone',
  );
  assert.deepEqual(await mailbox(), [
    ['email', 'a@example.com', 'one', 'first'],
    ['email', 'b@example.com', 'three', 'third'],
  ]);

  carrierDown = false;
  clock.advanceMs(300_000);
  await run();
  assert.ok((await rows()).every((r) => r.delivered));
  assert.equal((await mailbox()).length, 2, 'nothing delivered twice');
});

test('a bundle of messages: what failed is retried alone, nothing is sent twice', async (t) => {
  const { db, clock, log, mailbox } = await setup(t);
  const outbox = createOutbox({ sql: db.sql, clock, limits });
  const bundles = [
    { messages: [messages[0]!, messages[3]!] },
    { messages: [messages[2]!, messages[1]!] },
  ];
  const ids = await db.sql.begin((tx) =>
    outbox.enqueue(
      tx,
      bundles.map((payload) => ({ topic: NOTIFY_TOPIC, payload })),
    ),
  );
  let carrierDown = true;
  const sent: string[] = [];
  const sms = {
    send: async (to: string) => {
      if (carrierDown && to.endsWith('2')) throw new DeliveryUnavailable('carrier down');
      sent.push(to);
    },
  };
  const notifier = createNotifier({ sql: db.sql, clock, log, env: 'test', sms });
  const run = async () => {
    const controller = new AbortController();
    const worker = notifyWorker({ outbox, notifier, log, signal: controller.signal, pollMs: 10 });
    for (;;) {
      const [s] = await outbox.stats();
      if (!s || (s.ready === 0 && s.leased === 0)) break;
      await sleep(10);
    }
    controller.abort();
    await worker;
  };
  await run();
  const left = await db.sql<{ id: bigint; attempts: number; payload: unknown; error: string }[]>`
    select id, attempts, payload, last_error as error from outbox_events order by id`;
  assert.deepEqual(
    left.map((r) => [r.id, r.attempts, r.payload]),
    [[ids[0], 1, { messages: [messages[3]] }]],
    'only the refused SMS is left to retry',
  );
  assert.match(left[0]!.error, /^DeliveryUnavailable: carrier down/);
  assert.deepEqual(sent, ['+819000000001']);
  const delivered = [
    ['email', 'a@example.com', 'one', 'first'],
    ['email', 'b@example.com', 'three', 'third'],
  ];
  assert.deepEqual(await mailbox(), delivered);

  carrierDown = false;
  clock.advanceMs(300_000);
  await run();
  assert.equal((await db.sql`select id from outbox_events`).length, 0);
  assert.deepEqual(sent, ['+819000000001', '+819000000002']);
  assert.deepEqual(await mailbox(), delivered, 'nothing delivered twice');
});

test('a bundle part refused for good is dead at once with only that part', async (t) => {
  const { db, clock, log, mailbox } = await setup(t);
  const outbox = createOutbox({ sql: db.sql, clock, limits });
  const [id] = await db.sql.begin((tx) =>
    outbox.enqueue(tx, [
      { topic: NOTIFY_TOPIC, payload: { messages: [messages[0]!, messages[3]!] } },
    ]),
  );
  const sms = {
    send: async () => {
      throw new PermanentFailure('no such number');
    },
  };
  const notifier = createNotifier({ sql: db.sql, clock, log, env: 'test', sms });
  const controller = new AbortController();
  const worker = notifyWorker({ outbox, notifier, log, signal: controller.signal, pollMs: 10 });
  for (let i = 0; i < 500; i++) {
    const [s] = await outbox.stats();
    if (s && s.dead === 1) break;
    await sleep(10);
  }
  controller.abort();
  await worker;
  const rows = await db.sql<{ id: bigint; payload: unknown; attempts: number; dead: boolean }[]>`
    select id, payload, attempts, dead_at is not null as dead from outbox_events`;
  assert.deepEqual(
    rows.map((r) => [r.id, r.payload, r.attempts, r.dead]),
    [[id, { messages: [messages[3]] }, 1, true]],
    'the refused SMS alone is dead at its first attempt; the email went',
  );
  assert.deepEqual(await mailbox(), [['email', 'a@example.com', 'one', 'first']]);
});

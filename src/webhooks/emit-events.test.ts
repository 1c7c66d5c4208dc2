import { NOTHING_SUSPENDED } from '../switches/index.ts';
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { createAudit } from '../audit/index.ts';
import { loadConfig } from '../config.ts';
import { InvariantError } from '../lib/assert.ts';
import { manualClock } from '../lib/clock.ts';
import { createOutbox } from '../outbox/index.ts';
import { createTestDb } from '../../test/helpers/db.ts';
import { capturedLogger } from '../../test/helpers/log.ts';
import { fanOutEvent, fanOutEvents } from './delivery.ts';
import { createWebhooks, WEBHOOK_TOPIC } from './index.ts';

// emitEvents records many events in one go (receipts emit a batch's events together): the
// same rows and outbox events as emitEvent one at a time, in order, all or nothing.

const limits = loadConfig({ KINKO_ENV: 'test' }).limits;

async function setup(t: { after(fn: () => Promise<void>): void }) {
  const db = await createTestDb();
  t.after(() => db.close());
  const clock = manualClock(Date.UTC(2026, 5, 1));
  const log = capturedLogger('warn').log;
  const outbox = createOutbox({ sql: db.sql, clock, limits, log });
  const deps = {
    ...{ sql: db.sql, clock, outbox, limits, log, env: 'test' as const },
    ...{ secretsKey: randomBytes(32), audit: createAudit({ clock, sql: db.sql }) },
    switches: NOTHING_SUSPENDED,
  };
  const webhooks = createWebhooks(deps);
  const stored = async () => {
    const events = await db.sql<{ id: string; merchant_id: string; type: string; body: string }[]>`
      select id, merchant_id, type, body from webhooks_events order by created_at, id`;
    const queued = await db.sql<{ event_key: string; payload: Record<string, string> }[]>`
      select event_key, payload from outbox_events where topic = ${WEBHOOK_TOPIC} order by id`;
    return { events, queued };
  };
  return { db, webhooks, stored, deps };
}

const batch = [
  {
    merchantId: 'mer_a',
    type: 'code_payment.succeeded',
    object: { id: 'pay_1' },
    orderKey: 'pay_1',
  },
  {
    merchantId: 'mer_b',
    type: 'store_payment.succeeded',
    object: { amount: 5n },
    orderKey: 'pay_2',
  },
  { merchantId: 'mer_a', type: 'code_payment.refunded', object: { id: 're_1' }, orderKey: 'pay_1' },
];

test('emitEvents writes what emitEvent would, in order, with one outbox event each', async (t) => {
  const { db, webhooks, stored } = await setup(t);
  const ids = await db.sql.begin((tx) => webhooks.emitEvents(tx, batch));
  assert.equal(ids.length, 3);
  assert.equal(new Set(ids).size, 3);
  const { events, queued } = await stored();
  const byId = new Map(events.map((e) => [e.id, e]));
  assert.deepEqual(
    ids.map((id) => {
      const e = byId.get(id)!;
      const body = JSON.parse(e.body) as Record<string, unknown>;
      return [e.merchant_id, e.type, body.id, body.type, body.data];
    }),
    [
      [
        'mer_a',
        'code_payment.succeeded',
        ids[0],
        'code_payment.succeeded',
        { object: batch[0]!.object },
      ],
      [
        'mer_b',
        'store_payment.succeeded',
        ids[1],
        'store_payment.succeeded',
        { object: { amount: '5' } },
      ],
      [
        'mer_a',
        'code_payment.refunded',
        ids[2],
        'code_payment.refunded',
        { object: batch[2]!.object },
      ],
    ],
  );
  assert.deepEqual(
    queued.map((q) => [q.event_key, q.payload]),
    batch.map((b, i) => [
      b.merchantId,
      { eventId: ids[i], merchantId: b.merchantId, type: b.type },
    ]),
  );

  // One at a time gives the same body, but for the id.
  const single = await db.sql.begin((tx) => webhooks.emitEvent(tx, batch[1]!));
  const after = await stored();
  const one = after.events.find((e) => e.id === single)!;
  const two = events.find((e) => e.id === ids[1])!;
  assert.equal(one.body.replace(single, 'ID'), two.body.replace(ids[1]!, 'ID'));
  assert.deepEqual(await db.sql.begin((tx) => webhooks.emitEvents(tx, [])), []);
});

test('card data in one event of a batch refuses the whole batch', async (t) => {
  const { db, webhooks, stored } = await setup(t);
  const bad = {
    merchantId: 'mer_a',
    type: 'payment.succeeded',
    object: { note: '4111111111111111' },
    orderKey: 'pay_1',
  };
  await assert.rejects(
    db.sql.begin((tx) => webhooks.emitEvents(tx, [batch[0]!, bad])),
    InvariantError,
  );
  const { events, queued } = await stored();
  assert.deepEqual([events.length, queued.length], [0, 0]);
});

test('fanOutEvents makes in one go the deliveries fanOutEvent would, only once', async (t) => {
  const { db, webhooks, deps } = await setup(t);
  const cli = { type: 'cli' as const };
  const url = 'http://127.0.0.1:9/hook';
  const endpoint = async (merchant: string, eventTypes: string[]) =>
    (await webhooks.createEndpoint(merchant, { url, eventTypes }, cli)).endpoint.id;
  const aPaid = await endpoint('mer_a', ['code_payment.succeeded']);
  const aAll = await endpoint('mer_a', ['*']);
  await endpoint('mer_b', ['code_payment.refunded']);
  const giveUpSeconds = limits.webhooks.deliverySecondsMax;
  const deliveries = async () => [
    ...(await db.sql<{ event_id: string; endpoint_id: string; late: boolean }[]>`
      select d.event_id, d.endpoint_id,
             d.give_up_at <> e.created_at + make_interval(secs => ${giveUpSeconds}) as late
      from webhooks_deliveries d join webhooks_events e on e.id = d.event_id
      order by d.event_id, d.endpoint_id`),
  ];
  const ids = await db.sql.begin((tx) => webhooks.emitEvents(tx, batch));
  const payloads = ids.map((eventId) => ({ eventId }));
  assert.equal(await fanOutEvents(deps, payloads), 3);
  const expected = [
    { event_id: ids[0]!, endpoint_id: aPaid, late: false },
    { event_id: ids[0]!, endpoint_id: aAll, late: false },
    { event_id: ids[2]!, endpoint_id: aAll, late: false },
  ].sort((x, y) => (x.event_id + x.endpoint_id < y.event_id + y.endpoint_id ? -1 : 1));
  assert.deepEqual(await deliveries(), expected);
  // Again, as after a lost lease: nothing new.
  assert.equal(await fanOutEvents(deps, payloads), 0);
  for (const p of payloads) assert.equal(await fanOutEvent(deps, p), 0);
  assert.deepEqual(await deliveries(), expected);
});

test('emitEventsFannedOut makes at once what emitEvents and a fan-out make', async (t) => {
  const { db, webhooks, deps, stored } = await setup(t);
  const cli = { type: 'cli' as const };
  const url = 'http://127.0.0.1:9/hook';
  const endpoint = async (merchant: string, eventTypes: string[]) =>
    (await webhooks.createEndpoint(merchant, { url, eventTypes }, cli)).endpoint.id;
  await endpoint('mer_a', ['code_payment.succeeded']);
  await endpoint('mer_a', ['*']);
  await endpoint('mer_b', ['code_payment.refunded']);
  const disabled = await endpoint('mer_b', ['*']);
  await db.sql`update webhooks_endpoints set status = 'disabled' where id = ${disabled}`;
  const giveUpSeconds = limits.webhooks.deliverySecondsMax;
  /** Each event's deliveries, by the event's place in the batch, as the fan-out left them. */
  const made = async (ids: readonly string[]) => {
    const rows = await db.sql<{ event_id: string; endpoint_id: string; ok: boolean }[]>`
      select d.event_id, d.endpoint_id,
             d.status = 'pending' and d.next_attempt_at = d.created_at
             and d.give_up_at = e.created_at + make_interval(secs => ${giveUpSeconds})
             and e.fanned_out_at is not null and d.merchant_id = e.merchant_id as ok
      from webhooks_deliveries d join webhooks_events e on e.id = d.event_id
      where d.event_id = any(${[...ids]}::text[]) order by d.event_id, d.endpoint_id`;
    return rows
      .map((r) => [ids.indexOf(r.event_id), r.endpoint_id, r.ok] as const)
      .sort((x, y) => x[0] - y[0] || (x[1] < y[1] ? -1 : 1));
  };
  const fannedOut = async (ids: readonly string[]) =>
    (
      await db.sql<{ n: number }[]>`
      select count(*)::int as n from webhooks_events
      where id = any(${[...ids]}::text[]) and fanned_out_at is not null`
    )[0]!.n;

  const viaOutbox = await db.sql.begin((tx) => webhooks.emitEvents(tx, batch));
  assert.equal(
    await fanOutEvents(
      deps,
      viaOutbox.map((eventId) => ({ eventId })),
    ),
    3,
  );
  const queuedBefore = (await stored()).queued.length;
  const direct = await db.sql.begin((tx) => webhooks.emitEventsFannedOut(tx, batch));
  assert.equal(direct.length, 3);
  assert.deepEqual(await made(direct), await made(viaOutbox));
  assert.equal(await fannedOut(direct), 3, 'events with no endpoint are fanned out too');
  assert.equal((await stored()).queued.length, queuedBefore, 'no outbox event');
  // Same bodies as emitEvents writes, but for the ids.
  const bodies = new Map((await stored()).events.map((e) => [e.id, e.body]));
  direct.forEach((id, i) =>
    assert.equal(
      bodies.get(id)!.replace(id, 'ID'),
      bodies.get(viaOutbox[i]!)!.replace(viaOutbox[i]!, 'ID'),
    ),
  );
  // All or nothing: card data in one event refuses the batch.
  const bad = { ...batch[0]!, object: { note: '4111111111111111' } };
  const count = (await stored()).events.length;
  await assert.rejects(
    db.sql.begin((tx) => webhooks.emitEventsFannedOut(tx, [batch[0]!, bad])),
    InvariantError,
  );
  assert.equal((await stored()).events.length, count);
  assert.deepEqual(await db.sql.begin((tx) => webhooks.emitEventsFannedOut(tx, [])), []);
});

test('a large fanned-out batch goes as a COPY and writes what emitEvents writes', async (t) => {
  const { db, webhooks } = await setup(t);
  const url = 'http://127.0.0.1:9/hook';
  const cli = { type: 'cli' as const };
  await webhooks.createEndpoint('mer_a', { url, eventTypes: ['*'] }, cli);
  await webhooks.createEndpoint('mer_b', { url, eventTypes: ['code_payment.refunded'] }, cli);
  // More than COPY_EVENTS_MIN, with text a COPY must carry byte for byte.
  const large = Array.from({ length: 150 }, (_, i) => ({
    ...batch[i % batch.length]!,
    object: { id: `pay_${i}`, note: `"quoted" \\ back\nslash ¥${i} 領収書 \u0000 end` },
    orderKey: `pay_${i % 7}`,
  }));
  const viaOutbox = await db.sql.begin((tx) => webhooks.emitEvents(tx, large));
  const direct = await db.sql.begin((tx) => webhooks.emitEventsFannedOut(tx, large));
  assert.equal(direct.length, large.length);
  const rows = await db.sql<
    { id: string; merchant_id: string; type: string; order_key: string; body: string }[]
  >`select id, merchant_id, type, order_key, body from webhooks_events
    where id = any(${direct}::text[]) order by seq`;
  assert.deepEqual(
    rows.map((r) => r.id),
    direct,
    'seq follows the order of emission',
  );
  const before = new Map(
    (
      await db.sql<{ id: string; body: string }[]>`
        select id, body from webhooks_events where id = any(${viaOutbox}::text[])`
    ).map((r) => [r.id, r.body]),
  );
  rows.forEach((r, i) => {
    assert.equal(r.merchant_id, large[i]!.merchantId);
    assert.equal(r.type, large[i]!.type);
    assert.equal(r.order_key, large[i]!.orderKey);
    assert.equal(
      r.body.replace(r.id, 'ID'),
      before.get(viaOutbox[i]!)!.replace(viaOutbox[i]!, 'ID'),
    );
  });
  const [d] = await db.sql<{ n: number; unfanned: number }[]>`
    select (select count(*)::int from webhooks_deliveries where event_id = any(${direct}::text[]))
             as n,
           (select count(*)::int from webhooks_events
            where id = any(${direct}::text[]) and fanned_out_at is null) as unfanned`;
  const expected = large.filter(
    (e) => e.merchantId === 'mer_a' || e.type === 'code_payment.refunded',
  );
  assert.equal(d!.n, expected.length);
  assert.equal(d!.unfanned, 0);
});

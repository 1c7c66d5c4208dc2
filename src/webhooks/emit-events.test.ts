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
  const webhooks = createWebhooks({
    ...{ sql: db.sql, clock, outbox, limits, log, env: 'test', secretsKey: randomBytes(32) },
    audit: createAudit({ clock, sql: db.sql }),
  });
  const stored = async () => {
    const events = await db.sql<{ id: string; merchant_id: string; type: string; body: string }[]>`
      select id, merchant_id, type, body from webhooks_events order by created_at, id`;
    const queued = await db.sql<{ event_key: string; payload: Record<string, string> }[]>`
      select event_key, payload from outbox_events where topic = ${WEBHOOK_TOPIC} order by id`;
    return { events, queued };
  };
  return { db, webhooks, stored };
}

const batch = [
  { merchantId: 'mer_a', type: 'code_payment.succeeded', data: { object: { id: 'pay_1' } } },
  { merchantId: 'mer_b', type: 'store_payment.succeeded', data: { object: { amount: 5n } } },
  { merchantId: 'mer_a', type: 'code_payment.refunded', data: { object: { id: 're_1' } } },
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
      ['mer_a', 'code_payment.succeeded', ids[0], 'code_payment.succeeded', batch[0]!.data],
      [
        'mer_b',
        'store_payment.succeeded',
        ids[1],
        'store_payment.succeeded',
        { object: { amount: '5' } },
      ],
      ['mer_a', 'code_payment.refunded', ids[2], 'code_payment.refunded', batch[2]!.data],
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
    data: { note: '4111111111111111' },
  };
  await assert.rejects(
    db.sql.begin((tx) => webhooks.emitEvents(tx, [batch[0]!, bad])),
    InvariantError,
  );
  const { events, queued } = await stored();
  assert.deepEqual([events.length, queued.length], [0, 0]);
});

import { NOTHING_SUSPENDED } from '../switches/index.ts';
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { createAudit } from '../audit/index.ts';
import { loadConfig } from '../config.ts';
import { manualClock } from '../lib/clock.ts';
import { publicId } from '../lib/ids.ts';
import { createOutbox } from '../outbox/index.ts';
import { createTestDb } from '../../test/helpers/db.ts';
import { capturedLogger } from '../../test/helpers/log.ts';
import { startReceiver } from '../../test/helpers/webhook-receiver.ts';
import { deliverDue, fanOutEvents } from './delivery.ts';
import { createWebhooks } from './index.ts';

// Events about one object reach an endpoint in the order they happened, whatever fails or
// runs late: a retried payment.created is not overtaken by payment.succeeded or by the
// refund that followed, and an event still waiting for its fan-out holds back the later
// events of its object. Other objects' events do not wait. Every event has one envelope:
// the object is data.object.

const base = loadConfig({ KINKO_ENV: 'test' }).limits;
// One delivery (and one fan-out) per pass: a pass attempts its deliveries concurrently, so with
// several due the receiver's scripted failure would hit whichever request arrived first.
const limits = {
  ...base,
  webhooks: { ...base.webhooks, deliveryTimeoutMs: 500, deliveryBatchSizeMax: 1 },
};

async function setup(t: { after(fn: () => Promise<void>): void }) {
  const db = await createTestDb();
  const rx = await startReceiver();
  t.after(async () => {
    await rx.close();
    await db.close();
  });
  const clock = manualClock(Date.UTC(2026, 5, 1));
  const log = capturedLogger('warn').log;
  const outbox = createOutbox({ sql: db.sql, clock, limits, log });
  const deps = {
    ...{ sql: db.sql, clock, outbox, limits, log, env: 'test' as const },
    ...{ secretsKey: randomBytes(32), audit: createAudit({ clock, sql: db.sql }) },
    switches: NOTHING_SUSPENDED,
  };
  const webhooks = createWebhooks(deps);
  const merchant = publicId('mer', 16);
  const { secret } = await webhooks.createEndpoint(
    merchant,
    { url: rx.url, eventTypes: ['*'] },
    { type: 'cli' },
  );
  rx.secrets.push(secret);
  const emit = (type: string, id: string, orderKey: string) =>
    db.sql.begin((tx) =>
      webhooks.emitEvent(tx, { merchantId: merchant, type, object: { id }, orderKey }),
    );
  const got = () =>
    rx.received.map((r) => {
      const body = JSON.parse(r.body) as { type: string; data: { object: { id: string } } };
      return `${body.type} ${body.data.object.id}`;
    });
  return { db, rx, clock, deps, webhooks, emit, got };
}

test('a failed delivery holds back the later events of its object, not of others', async (t) => {
  const { rx, clock, webhooks, emit, got } = await setup(t);
  await emit('payment.created', 'pay_A', 'pay_A');
  await emit('payment.succeeded', 'pay_A', 'pay_A');
  await emit('refund.succeeded', 'ref_A1', 'pay_A');
  await emit('payment.created', 'pay_B', 'pay_B');
  rx.script = [500]; // the first attempt, payment.created of pay_A, fails
  for (let pass = 0; pass < 4; pass++) await webhooks.runOnce();
  assert.deepEqual(got(), ['payment.created pay_A', 'payment.created pay_B']);
  assert.ok(
    rx.received.every((r) => r.verifiedWith.length === 1),
    'signed as before',
  );

  clock.advanceMs(limits.webhooks.retrySecondsBase * 1000);
  for (let pass = 0; pass < 5; pass++) await webhooks.runOnce();
  assert.deepEqual(got(), [
    'payment.created pay_A',
    'payment.created pay_B',
    'payment.created pay_A',
    'payment.succeeded pay_A',
    'refund.succeeded ref_A1',
  ]);
});

test('an event not yet fanned out holds back the later events of its object', async (t) => {
  const { deps, emit, got } = await setup(t);
  const first = await emit('payment.created', 'pay_C', 'pay_C');
  const second = await emit('payment.succeeded', 'pay_C', 'pay_C');
  // The second event's outbox row is handled first (another worker, a retried batch).
  assert.equal(await fanOutEvents(deps, [{ eventId: second }]), 1);
  assert.equal(await deliverDue(deps), 0, 'payment.succeeded waits for payment.created');
  assert.equal(await fanOutEvents(deps, [{ eventId: first }]), 1);
  assert.equal(await deliverDue(deps), 1);
  assert.equal(await deliverDue(deps), 1);
  assert.deepEqual(got(), ['payment.created pay_C', 'payment.succeeded pay_C']);
});

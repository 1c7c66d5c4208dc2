import { NOTHING_SUSPENDED } from '../switches/index.ts';
import { after, before, beforeEach, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { createAudit } from '../audit/index.ts';
import { loadConfig } from '../config.ts';
import { createOutbox } from '../outbox/index.ts';
import { manualClock } from '../lib/clock.ts';
import { publicId } from '../lib/ids.ts';
import { KinkoError } from '../lib/errors.ts';
import { createTestDb, type TestDb } from '../../test/helpers/db.ts';
import { capturedLogger } from '../../test/helpers/log.ts';
import { startReceiver, type Receiver } from '../../test/helpers/webhook-receiver.ts';
import { createWebhooks, type Webhooks } from './index.ts';

const base = loadConfig({ KINKO_ENV: 'test' }).limits;
const limits = { ...base, webhooks: { ...base.webhooks, deliveryTimeoutMs: 300 } };
const clock = manualClock(Date.UTC(2026, 5, 1));
const cli = { type: 'cli' as const };
let db: TestDb;
let webhooks: Webhooks;
let rx: Receiver;
let merchant = '';

before(async () => {
  db = await createTestDb();
  const log = capturedLogger('warn').log;
  const outbox = createOutbox({ sql: db.sql, clock, limits, log });
  webhooks = createWebhooks({
    sql: db.sql,
    clock,
    audit: createAudit({ clock, sql: db.sql }),
    outbox,
    limits,
    log,
    env: 'test',
    secretsKey: randomBytes(32),
    switches: NOTHING_SUSPENDED,
  });
});
after(async () => {
  await rx?.close();
  await db.close();
});
beforeEach(async () => {
  await rx?.close();
  rx = await startReceiver();
  // The product's id format. A hex id tripped the outbox's card-number guard about once in
  // a thousand runs: 13 or more of its characters in a row can be digits that pass Luhn.
  merchant = publicId('mer', 16);
});

async function endpoint(types = ['payment.succeeded']) {
  const r = await webhooks.createEndpoint(merchant, { url: rx.url, eventTypes: types }, cli);
  rx.secrets.push(r.secret);
  return r;
}

let objects = 0;
/** An event about a new object each time, so no event waits for another's delivery. */
async function emit(type = 'payment.succeeded', object: object = { amount: 1200 }) {
  const orderKey = `pay_${++objects}`;
  return db.sql.begin((tx) =>
    webhooks.emitEvent(tx, { merchantId: merchant, type, object, orderKey }),
  );
}

test('an event reaches the receiver, signed; it verifies with its own HMAC code', async () => {
  const { endpoint: ep, secret } = await endpoint();
  assert.match(secret, /^whsec_[A-Za-z0-9_-]{43}$/);
  const stored = await db.sql`select * from webhooks_secrets where endpoint_id = ${ep.id}`;
  assert.ok(!JSON.stringify(stored).includes(secret.slice(6)), 'secret encrypted at rest');
  const eventId = await emit();
  await emit('refund.created'); // not subscribed
  const pass = await webhooks.runOnce();
  assert.deepEqual(pass, { fannedOut: 1, attempted: 1 });
  assert.equal(rx.received.length, 1);
  const got = rx.received[0]!;
  assert.deepEqual(got.verifiedWith, [secret]);
  assert.equal(got.headers['kinko-event-id'], eventId);
  const t = /t=(\d+)/.exec(String(got.headers['kinko-signature']))?.[1];
  assert.equal(Number(t), Math.floor(clock.nowMs() / 1000));
  assert.deepEqual(JSON.parse(got.body).data, { object: { amount: 1200 } });
  const {
    data: [d],
  } = await webhooks.listDeliveries(merchant, ep.id);
  assert.equal(d?.status, 'succeeded');
  const full = await webhooks.getDelivery(merchant, d?.id ?? '');
  assert.equal(full.log?.[0]?.status_code, 200);
  assert.equal(full.log?.[0]?.response_snippet, 'ok');
  // Fanning out the same outbox event again (at-least-once) makes no second delivery.
  assert.deepEqual(await webhooks.runOnce(), { fannedOut: 0, attempted: 0 });
});

test('500s are retried with exponential backoff; every attempt is logged', async () => {
  const { endpoint: ep } = await endpoint();
  rx.script = [500, 500, 503];
  rx.answer = 'x'.repeat(5000);
  await emit();
  assert.equal((await webhooks.runOnce()).attempted, 1);
  assert.equal((await webhooks.runOnce()).attempted, 0, 'not due yet');
  clock.advanceMs(29_000);
  assert.equal((await webhooks.runOnce()).attempted, 0);
  clock.advanceMs(1_000); // 30 s after the first failure
  assert.equal((await webhooks.runOnce()).attempted, 1);
  clock.advanceMs(59_000);
  assert.equal((await webhooks.runOnce()).attempted, 0);
  clock.advanceMs(1_000); // 60 s after the second
  assert.equal((await webhooks.runOnce()).attempted, 1);
  clock.advanceMs(120_000);
  assert.equal((await webhooks.runOnce()).attempted, 1);
  const {
    data: [d],
  } = await webhooks.listDeliveries(merchant, ep.id);
  const full = await webhooks.getDelivery(merchant, d?.id ?? '');
  assert.equal(full.status, 'succeeded');
  assert.deepEqual(
    full.log?.map((a) => a.status_code),
    [500, 500, 503, 200],
  );
  for (const a of full.log ?? []) {
    assert.ok(Buffer.byteLength(a.response_snippet ?? '') <= 1024);
    assert.ok(a.duration_ms >= 0);
  }
  assert.equal(full.log?.[0]?.response_snippet?.length, 1024);
  assert.ok(rx.received.every((r) => r.verifiedWith.length === 1));
  assert.equal(new Set(rx.received.map((r) => r.headers['kinko-event-id'])).size, 1);
});

test('a receiver that keeps failing is given up on 3 days after the event', async () => {
  const { endpoint: ep } = await endpoint();
  rx.script = Array.from({ length: 100 }, () => 500);
  const start = clock.nowMs();
  await emit();
  await webhooks.runOnce();
  for (let i = 0; i < 60; i++) {
    const {
      data: [d],
    } = await webhooks.listDeliveries(merchant, ep.id);
    if (d?.status !== 'pending') break;
    clock.set(Date.parse(d.next_attempt_at ?? ''));
    await webhooks.runOnce();
  }
  const {
    data: [d],
  } = await webhooks.listDeliveries(merchant, ep.id);
  assert.equal(d?.status, 'failed');
  assert.equal(Date.parse(d?.last_attempt_at ?? ''), start + 3 * 86_400_000);
  assert.ok((d?.attempts ?? 0) > 10 && (d?.attempts ?? 0) < 40, String(d?.attempts));
});

test('during a secret rotation each delivery carries two v1 signatures, then one', async () => {
  const { endpoint: ep, secret: oldSecret } = await endpoint();
  const r = await webhooks.rotateSecret(merchant, ep.id, { overlapSeconds: 3600 }, cli);
  rx.secrets.push(r.secret);
  assert.equal(r.endpoint.secrets.length, 2);
  await emit();
  await webhooks.runOnce();
  assert.equal(rx.received[0]?.v1Count, 2);
  assert.deepEqual(rx.received[0]?.verifiedWith.sort(), [oldSecret, r.secret].sort());
  clock.advanceMs(3600_000);
  await emit();
  await webhooks.runOnce();
  assert.equal(rx.received[1]?.v1Count, 1);
  assert.deepEqual(rx.received[1]?.verifiedWith, [r.secret]);
});

test('manual resend attempts again at once and is logged as manual', async () => {
  const { endpoint: ep } = await endpoint();
  await emit();
  await webhooks.runOnce();
  const {
    data: [d],
  } = await webhooks.listDeliveries(merchant, ep.id);
  const r = await webhooks.resend(merchant, d?.id ?? '', cli);
  assert.equal(r.delivered, true);
  assert.equal(rx.received.length, 2);
  const full = await webhooks.getDelivery(merchant, d?.id ?? '');
  assert.deepEqual(
    full.log?.map((a) => a.manual),
    [false, true],
  );
  await assert.rejects(
    webhooks.resend('mer_someone_else_entirely', d?.id ?? '', cli),
    (e: unknown) => e instanceof KinkoError && e.code === 'webhook_delivery_not_found',
  );
});

test('a hanging receiver times out; a redirect is refused, never followed', async () => {
  const { endpoint: ep } = await endpoint();
  rx.script = ['hang', 302];
  await emit();
  await webhooks.runOnce();
  clock.advanceMs(30_000);
  await webhooks.runOnce();
  const {
    data: [d],
  } = await webhooks.listDeliveries(merchant, ep.id);
  const full = await webhooks.getDelivery(merchant, d?.id ?? '');
  assert.match(full.log?.[0]?.error ?? '', /timed out after 300 ms/);
  assert.equal(full.log?.[1]?.status_code, 302);
  assert.equal(full.log?.[1]?.error, 'redirect refused');
  assert.equal(full.status, 'pending');
  assert.equal(rx.received.length, 2);
});

test('the verifier in docs/webhooks.md accepts a delivery and rejects a replayed one', async () => {
  const doc = fs.readFileSync(new URL('../../docs/webhooks.md', import.meta.url), 'utf8');
  const code = /```js\n(import[\s\S]*?)```/.exec(doc)?.[1];
  assert.ok(code, 'docs/webhooks.md has the verifier');
  const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'kinko-doc-')), 'verify.mjs');
  fs.writeFileSync(file, code);
  const { verifyKinkoSignature } = (await import(pathToFileURL(file).href)) as {
    verifyKinkoSignature: (h: unknown, b: string, s: string, tol?: number, now?: number) => boolean;
  };
  const { secret } = await endpoint();
  await emit();
  await webhooks.runOnce();
  const got = rx.received[0]!;
  const header = String(got.headers['kinko-signature']);
  const now = Math.floor(clock.nowMs() / 1000);
  assert.equal(verifyKinkoSignature(header, got.body, secret, 300, now), true);
  assert.equal(verifyKinkoSignature(header, got.body, secret, 300, now + 299), true);
  assert.equal(verifyKinkoSignature(header, got.body, secret, 300, now + 301), false, 'replay');
  assert.equal(verifyKinkoSignature(header, got.body + ' ', secret, 300, now), false);
  assert.equal(verifyKinkoSignature(header, got.body, `${secret}x`, 300, now), false);
  // Moving the timestamp forward breaks the signature.
  const forged = header.replace(/t=\d+/, `t=${now + 600}`);
  assert.equal(verifyKinkoSignature(forged, got.body, secret, 300, now + 600), false);
});

test('endpoint URLs: http only to loopback outside production; event types checked', async () => {
  const bad = async (url: string, eventTypes = ['payment.succeeded']) =>
    assert.rejects(webhooks.createEndpoint(merchant, { url, eventTypes }, cli), KinkoError);
  await bad('http://example.com/hook');
  await bad('ftp://127.0.0.1/hook');
  await bad('https://user:pw@example.com/hook');
  await bad(rx.url, ['Payment Succeeded']);
  await bad(rx.url, []);
  const ok = await webhooks.createEndpoint(merchant, { url: rx.url, eventTypes: ['*'] }, cli);
  assert.equal(ok.endpoint.url, rx.url);
  await webhooks.deleteEndpoint(merchant, ok.endpoint.id, cli);
  assert.deepEqual(await webhooks.listEndpoints(merchant), []);
});

import { NOTHING_SUSPENDED } from '../src/switches/index.ts';
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { createAudit } from '../src/audit/index.ts';
import { loadConfig } from '../src/config.ts';
import { manualClock } from '../src/lib/clock.ts';
import { KinkoError } from '../src/lib/errors.ts';
import { createOutbox } from '../src/outbox/index.ts';
import { createWebhooks, isPrivateAddress, type Webhooks } from '../src/webhooks/index.ts';
import { createTestDb, type TestDb } from './helpers/db.ts';
import { capturedLogger } from './helpers/log.ts';
import { startReceiver, type Receiver } from './helpers/webhook-receiver.ts';

// Attack: server-side request forgery through webhooks. A merchant (or whoever stole its
// API key) registers an endpoint pointing at Kinko's own network — the cloud metadata
// service, the database, an admin port — hoping Kinko will POST there and log the answer
// in the delivery log. In production such endpoints are refused at registration, and a
// host whose DNS later changes to a private address (DNS rebinding) is refused when dialled.

const limits = loadConfig({ KINKO_ENV: 'test' }).limits;
const clock = manualClock(Date.UTC(2026, 6, 1));
const secretsKey = randomBytes(32);
const cli = { type: 'cli' as const };
let db: TestDb;
let rx: Receiver;
let dev: Webhooks;
let prod: Webhooks;

before(async () => {
  db = await createTestDb();
  rx = await startReceiver();
  const log = capturedLogger('error').log;
  const deps = {
    sql: db.sql,
    clock,
    audit: createAudit({ clock, sql: db.sql }),
    outbox: createOutbox({ sql: db.sql, clock, limits, log }),
    limits,
    log,
    secretsKey,
    switches: NOTHING_SUSPENDED,
  };
  dev = createWebhooks({ ...deps, env: 'test' });
  prod = createWebhooks({ ...deps, env: 'production' });
});
after(async () => {
  await rx.close();
  await db.close();
});

test('private, loopback, link-local and reserved addresses are recognised', () => {
  for (const a of [
    '127.0.0.1',
    '10.1.2.3',
    '172.16.0.1',
    '192.168.1.1',
    '169.254.169.254',
    '100.64.0.1',
    '0.0.0.0',
    '::1',
    '::',
    'fe80::1',
    'fd00::1',
    '::ffff:127.0.0.1',
  ]) {
    assert.ok(isPrivateAddress(a), a);
  }
  for (const a of ['93.184.215.14', '8.8.8.8', '2606:4700:4700::1111']) {
    assert.ok(!isPrivateAddress(a), a);
  }
});

test('production refuses endpoints on private addresses and plain http', async () => {
  for (const url of [
    'https://169.254.169.254/latest/meta-data/',
    'https://127.0.0.1/hook',
    'https://10.0.0.5:5432/',
    'https://[::1]/hook',
    'https://[::ffff:7f00:1]/hook',
    'https://localhost/hook',
  ]) {
    await assert.rejects(
      prod.createEndpoint('mer_attacker_0000000000', { url, eventTypes: ['*'] }, cli),
      (e: unknown) => e instanceof KinkoError && e.code === 'webhook_url_private_address',
      url,
    );
  }
  await assert.rejects(
    prod.createEndpoint('mer_attacker_0000000000', { url: rx.url, eventTypes: ['*'] }, cli),
    (e: unknown) => e instanceof KinkoError && e.code === 'webhook_url_invalid',
  );
});

test('a host that turns private after registration is refused when dialled', async () => {
  const merchant = 'mer_rebinding_000000000';
  // Registered while it looked fine (here: through a development instance)…
  for (const url of [rx.url, rx.url.replace('127.0.0.1', 'localhost')]) {
    await dev.createEndpoint(merchant, { url, eventTypes: ['*'] }, cli);
  }
  await db.sql.begin((tx) =>
    prod.emitEvent(tx, {
      merchantId: merchant,
      type: 'payment.succeeded',
      object: {},
      orderKey: 'pay_1',
    }),
  );
  // …then delivered by production, which checks the address it actually dials.
  const pass = await prod.runOnce();
  assert.deepEqual(pass, { fannedOut: 2, attempted: 2 });
  assert.equal(rx.received.length, 0, 'nothing reached the private address');
  const endpoints = await prod.listEndpoints(merchant);
  for (const ep of endpoints) {
    const [d] = (await prod.listDeliveries(merchant, ep.id)).data;
    const full = await prod.getDelivery(merchant, d?.id ?? '');
    assert.match(full.log?.[0]?.error ?? '', /refused|EADDRREFUSED/);
    assert.equal(full.log?.[0]?.status_code, null);
  }
});

import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { merchantApi, type MerchantApi } from '../../test/helpers/merchant-api.ts';
import { startReceiver, type Receiver } from '../../test/helpers/webhook-receiver.ts';
import type { Webhooks } from './index.ts';

// The /v1 webhook routes through HTTP, with real API keys and Idempotency-Key.

let api: MerchantApi;
let webhooks!: Webhooks;
let rx: Receiver;

before(async () => {
  rx = await startReceiver();
  api = await merchantApi();
  webhooks = api.modules.webhooks;
});
after(async () => {
  await rx.close();
  await api.close();
});

test('register, list, rotate, deliver, read the log and resend over /v1', async () => {
  const m = await api.merchants.createMerchant({ name: 'Hooks' }, { type: 'cli' });
  const auth = { authorization: `Bearer ${m.secretKey}` };
  const post = (url: string, key: string, payload: object) =>
    api.app.inject({ method: 'POST', url, headers: { ...auth, 'idempotency-key': key }, payload });
  let res = await post('/v1/webhook_endpoints', 'we-1', {
    url: rx.url,
    event_types: ['payment.succeeded'],
  });
  assert.equal(res.statusCode, 201, res.body);
  const ep = res.json() as { id: string; secret: string };
  assert.match(ep.secret, /^whsec_/);
  const replay = await post('/v1/webhook_endpoints', 'we-1', {
    url: rx.url,
    event_types: ['payment.succeeded'],
  });
  assert.equal(replay.json().id, ep.id, 'no second endpoint');
  assert.equal(replay.json().secret, '[redacted]', 'the secret is shown once');
  res = await post(`/v1/webhook_endpoints/${ep.id}/rotate_secret`, 'rot-1', {
    overlap_seconds: 60,
  });
  assert.equal(res.statusCode, 200, res.body);
  rx.secrets.push(ep.secret, res.json().secret);
  assert.equal(res.json().secrets.length, 2);

  await api.db.sql.begin((tx) =>
    webhooks.emitEvent(tx, {
      merchantId: m.merchantId,
      type: 'payment.succeeded',
      object: {},
      orderKey: 'pay_1',
    }),
  );
  await webhooks.runOnce();
  assert.equal(rx.received[0]?.verifiedWith.length, 2);

  res = await api.app.inject({
    method: 'GET',
    url: `/v1/webhook_endpoints/${ep.id}/deliveries`,
    headers: auth,
  });
  const deliveryId = res.json().data[0].id as string;
  res = await post(`/v1/webhook_deliveries/${deliveryId}/resend`, 'resend-1', {});
  assert.equal(res.statusCode, 200, res.body);
  assert.equal(res.json().delivered, true);
  assert.deepEqual(
    res.json().log.map((a: { manual: boolean }) => a.manual),
    [false, true],
  );
  // Another merchant sees none of it.
  const other = await api.merchants.createMerchant({ name: 'Other' }, { type: 'cli' });
  res = await api.app.inject({
    method: 'GET',
    url: `/v1/webhook_deliveries/${deliveryId}`,
    headers: { authorization: `Bearer ${other.secretKey}` },
  });
  assert.equal(res.statusCode, 404);
  res = await api.app.inject({
    method: 'DELETE',
    url: `/v1/webhook_endpoints/${ep.id}`,
    headers: auth,
  });
  assert.equal(res.statusCode, 200, res.body);
});

test('an endpoint URL too long once percent-encoded is refused, not a 500', async () => {
  const m = await api.merchants.createMerchant({ name: 'Long URLs' }, { type: 'cli' });
  const res = await api.app.inject({
    method: 'POST',
    url: '/v1/webhook_endpoints',
    headers: { authorization: `Bearer ${m.secretKey}`, 'idempotency-key': 'long-1' },
    // 203 characters as sent (within the schema's 2,048); 2,420 once encoded.
    payload: { url: `${rx.url}/${'🙂'.repeat(200)}`, event_types: ['payment.succeeded'] },
  });
  assert.equal(res.statusCode, 400, res.body);
  assert.equal(res.json().error.code, 'webhook_url_invalid');
  assert.equal(res.json().error.param, 'url');
});

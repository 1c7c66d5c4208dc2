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

test('an endpoint’s deliveries are paged like every list: limit, cursors, has_more', async () => {
  const m = await api.merchants.createMerchant({ name: 'Paged hooks' }, { type: 'cli' });
  const auth = { authorization: `Bearer ${m.secretKey}` };
  const created = await api.app.inject({
    method: 'POST',
    url: '/v1/webhook_endpoints',
    headers: { ...auth, 'idempotency-key': 'paged-1' },
    payload: { url: rx.url, event_types: ['payment.succeeded'] },
  });
  const ep = created.json().id as string;
  // Two transactions: deliveries made in one share their created_at, so ids break the tie.
  for (const keys of [
    ['pay_a', 'pay_b', 'pay_c'],
    ['pay_d', 'pay_e'],
  ]) {
    await api.db.sql.begin((tx) =>
      webhooks.emitEventsFannedOut(
        tx,
        keys.map((orderKey) => ({
          merchantId: m.merchantId,
          type: 'payment.succeeded',
          object: {},
          orderKey,
        })),
      ),
    );
  }
  const list = async (query: string) => {
    const res = await api.app.inject({
      method: 'GET',
      url: `/v1/webhook_endpoints/${ep}/deliveries${query}`,
      headers: auth,
    });
    assert.equal(res.statusCode, 200, res.body);
    const body = res.json() as { object: string; data: { id: string }[]; has_more: boolean };
    assert.equal(body.object, 'list');
    return { ids: body.data.map((d) => d.id), more: body.has_more };
  };
  const all = await list('');
  assert.equal(all.ids.length, 5);
  assert.equal(all.more, false);
  const pages: string[][] = [];
  let after = '';
  for (;;) {
    const page = await list(`?limit=2${after && `&starting_after=${after}`}`);
    pages.push(page.ids);
    if (!page.more) break;
    after = page.ids.at(-1)!;
  }
  assert.deepEqual(
    pages.map((p) => p.length),
    [2, 2, 1],
  );
  assert.deepEqual(pages.flat(), all.ids, 'the pages are the whole list, newest first, once');
  const back = await list(`?limit=2&ending_before=${pages[2]![0]}`);
  assert.deepEqual(back.ids, pages[1], 'ending_before gives the page before, newest first');
  assert.equal(back.more, true);
  const one = await list('?limit=1');
  assert.deepEqual(one, { ids: [all.ids[0]], more: true });

  const refused = async (query: string, code: string, param: string) => {
    const res = await api.app.inject({
      method: 'GET',
      url: `/v1/webhook_endpoints/${ep}/deliveries${query}`,
      headers: auth,
    });
    assert.equal(res.statusCode, 400, res.body);
    assert.equal(res.json().error.code, code);
    assert.equal(res.json().error.param, param);
  };
  await refused('?limit=0', 'parameter_invalid', 'limit');
  await refused('?limit=101', 'parameter_invalid', 'limit');
  await refused(
    '?starting_after=whd_0000000000000000',
    'pagination_cursor_not_found',
    'starting_after',
  );
  await refused(
    `?starting_after=${all.ids[0]}&ending_before=${all.ids[1]}`,
    'parameter_invalid',
    'ending_before',
  );
});

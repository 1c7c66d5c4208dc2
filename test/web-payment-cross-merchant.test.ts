import { after, afterEach, before, test } from 'node:test';
import assert from 'node:assert/strict';
import {
  assertLedgerBalanced,
  cardToken,
  get,
  ok,
  pay,
  post,
  shop,
  webPaymentsHarness,
  type WebPaymentsHarness,
} from './helpers/web-payments.ts';

// One merchant's key never reaches another merchant's payments, refunds, balance or card
// tokens: every answer is "no such payment", as if it did not exist. Restricted keys need
// the scope of the call.

let h: WebPaymentsHarness;
before(async () => {
  h = await webPaymentsHarness();
});
afterEach(() => assertLedgerBalanced(h));
after(() => h.close());

test('merchant B cannot read, capture, cancel, refund or list merchant A’s payment', async () => {
  const a = await shop(h, 'Shop A');
  const b = await shop(h, 'Shop B');
  const p = await pay(h, a, '4242424242424242', { amount: 6_000, capture_method: 'manual' });
  const id = String(p['id']);
  const tries = [
    await get(h, b, `/v1/payments/${id}`),
    await post(h, b, `/v1/payments/${id}/capture`, {}),
    await post(h, b, `/v1/payments/${id}/cancel`, {}),
    await post(h, b, `/v1/payments/${id}/confirm`, {}),
    await post(h, b, `/v1/payments/${id}`, { description: 'mine now' }),
    await post(h, b, '/v1/refunds', { payment: id, amount: 1 }),
  ];
  for (const res of tries) {
    assert.equal(res.statusCode, 404, res.body);
    assert.equal(res.json().error.code, 'web_payment_not_found');
  }
  const list = (await get(h, b, '/v1/payments')).json();
  assert.equal(list.data.length, 0);
  const cursor = await get(h, b, `/v1/payments?starting_after=${id}`);
  assert.equal(cursor.json().error.code, 'pagination_cursor_not_found');
  const captured = await ok(h, a, `/v1/payments/${id}/capture`, {});
  assert.equal(captured['status'], 'succeeded');
  const refund = await ok(h, a, '/v1/refunds', { payment: id, amount: 100 });
  const r = await get(h, b, `/v1/refunds/${String(refund['id'])}`);
  assert.equal(r.json().error.code, 'web_refund_not_found');
  assert.equal((await get(h, b, '/v1/balance_transactions')).json().data.length, 0);
});

test('merchant B cannot pay with merchant A’s card token', async () => {
  const a = await shop(h, 'Shop A2');
  const b = await shop(h, 'Shop B2');
  const token = await cardToken(h, a, '4242424242424242');
  const res = await post(h, b, '/v1/payments', {
    amount: 100,
    currency: 'JPY',
    payment_method: token,
  });
  assert.equal(res.statusCode, 400);
  assert.equal(res.json().error.code, 'payment_method_invalid');
  const p = await ok(h, b, '/v1/payments', { amount: 100, currency: 'JPY' });
  const upd = await post(h, b, `/v1/payments/${String(p['id'])}`, { payment_method: token });
  assert.equal(upd.json().error.code, 'payment_method_invalid');
});

test('a restricted key needs the scope; no key, no access', async () => {
  const a = await shop(h, 'Shop R');
  const { value } = await h.api.merchants.createApiKey(
    a.merchantId,
    { kind: 'restricted', mode: 'live', scopes: ['payments:read'] },
    { type: 'cli' },
  );
  const write = await post(h, value, '/v1/payments', { amount: 100, currency: 'JPY' });
  assert.equal(write.statusCode, 403);
  assert.equal(write.json().error.code, 'api_key_scope_missing');
  const readable = await get(h, value, '/v1/payments');
  assert.equal(readable.statusCode, 200);
  const p = await pay(h, a, '4242424242424242', { amount: 700 });
  const refund = await post(h, value, '/v1/refunds', { payment: String(p['id']) });
  assert.equal(refund.json().error.code, 'api_key_scope_missing');
  const anonymous = await h.api.app.inject({ method: 'GET', url: '/v1/payments' });
  assert.equal(anonymous.statusCode, 401);
});

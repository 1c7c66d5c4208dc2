import { after, afterEach, before, test } from 'node:test';
import assert from 'node:assert/strict';
import {
  assertLedgerBalanced,
  cardToken,
  eventTypes,
  get,
  merchantBalance,
  ok,
  post,
  shop,
  webPaymentsHarness,
  type WebPaymentsHarness,
} from './helpers/web-payments.ts';

// A web payment with a frictionless card and automatic capture: created, confirmed, charged
// once; the ledger posts card_clearing → merchant; replays of the same Idempotency-Key
// answer the first response and never charge again.

let h: WebPaymentsHarness;
before(async () => {
  h = await webPaymentsHarness();
});
afterEach(() => assertLedgerBalanced(h));
after(() => h.close());

test('create → confirm → succeeded, captured once, posted to the merchant', async () => {
  const s = await shop(h);
  const token = await cardToken(h, s, '4242424242424242');
  const created = await ok(h, s, '/v1/payments', {
    amount: 12_345,
    currency: 'JPY',
    payment_method: token,
    description: 'Order 1001',
    statement_descriptor: 'KINKO SHOP',
    metadata: { order_id: '1001' },
  });
  assert.equal(created['status'], 'requires_confirmation');
  assert.equal(created['amount'], 12_345);
  const id = String(created['id']);
  const confirmed = await ok(h, s, `/v1/payments/${id}/confirm`);
  assert.equal(confirmed['status'], 'succeeded', JSON.stringify(confirmed));
  assert.equal(confirmed['amount_received'], 12_345);
  assert.equal(confirmed['amount_capturable'], 0);
  assert.equal(h.simulator.stats().capturedMinor, 12_345n);
  assert.deepEqual(await merchantBalance(h, s), { pending: 0n, posted: 12_345n });

  const read = await get(h, s, `/v1/payments/${id}`);
  assert.equal(read.json().status, 'succeeded');
  const txns = (await get(h, s, '/v1/balance_transactions')).json();
  assert.equal(txns.data.length, 1);
  assert.equal(txns.data[0].amount, 12_345);
  assert.equal(txns.data[0].source, id);
  const types = await eventTypes(h, s.merchantId);
  assert.ok(types.includes('payment.created') && types.includes('payment.succeeded'), types.join());
});

test('without a card: requires_payment_method; confirm refused until one is attached', async () => {
  const s = await shop(h);
  const p = await ok(h, s, '/v1/payments', { amount: 800, currency: 'jpy' });
  assert.equal(p['status'], 'requires_payment_method');
  assert.equal(p['currency'], 'JPY');
  const refused = await post(h, s, `/v1/payments/${String(p['id'])}/confirm`);
  assert.equal(refused.statusCode, 400, refused.body);
  assert.equal(refused.json().error.code, 'payment_method_missing');
  const token = await cardToken(h, s, '5555555555554444');
  const updated = await ok(h, s, `/v1/payments/${String(p['id'])}`, { payment_method: token });
  assert.equal(updated['status'], 'requires_confirmation');
  const done = await ok(h, s, `/v1/payments/${String(p['id'])}/confirm`);
  assert.equal(done['status'], 'succeeded');
});

test('the same Idempotency-Key replays the first answer; other parameters are refused', async () => {
  const s = await shop(h);
  const token = await cardToken(h, s, '4242424242424242');
  const body = { amount: 1000, currency: 'JPY', payment_method: token };
  const first = await post(h, s, '/v1/payments', body, 'order-77');
  const again = await post(h, s, '/v1/payments', body, 'order-77');
  assert.equal(again.headers['idempotent-replayed'], 'true');
  assert.equal(again.json().id, first.json().id);
  const other = await post(h, s, '/v1/payments', { ...body, amount: 1001 }, 'order-77');
  assert.equal(other.json().error.code, 'idempotency_key_reused');

  const id = String(first.json().id);
  const capturesBefore = h.simulator.stats().calls.capture;
  const c1 = await post(h, s, `/v1/payments/${id}/confirm`, {}, 'confirm-77');
  const c2 = await post(h, s, `/v1/payments/${id}/confirm`, {}, 'confirm-77');
  assert.equal(c1.json().status, 'succeeded');
  assert.equal(c2.body, c1.body);
  // A new key is a new request: the payment is already succeeded.
  const c3 = await post(h, s, `/v1/payments/${id}/confirm`, {}, 'confirm-78');
  assert.equal(c3.statusCode, 409);
  assert.equal(c3.json().error.code, 'payment_unexpected_state');
  assert.equal(c3.json().error.status, 'succeeded');
  assert.equal(h.simulator.stats().calls.capture, capturesBefore + 1, 'one capture');
});

test('amounts are integers of minor units within 2^53 − 1; currencies are known ones', async () => {
  const s = await shop(h);
  const bad = [
    { amount: 10.5, currency: 'JPY' },
    { amount: '100', currency: 'JPY' },
    { amount: 0, currency: 'JPY' },
    { amount: 9_007_199_254_740_993, currency: 'JPY' },
    { amount: 100, currency: 'XXX' },
    { amount: 100, currency: 'JPY', cvc: '123' },
  ];
  for (const body of bad) {
    const res = await post(h, s, '/v1/payments', body);
    assert.equal(res.statusCode, 400, `${JSON.stringify(body)} → ${res.body}`);
  }
});

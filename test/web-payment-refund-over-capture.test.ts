import { after, afterEach, before, test } from 'node:test';
import assert from 'node:assert/strict';
import {
  assertLedgerBalanced,
  eventTypes,
  get,
  merchantBalance,
  ok,
  pay,
  post,
  shop,
  webPaymentsHarness,
  type WebPaymentsHarness,
} from './helpers/web-payments.ts';

// Refunds, partial and several, never more in total than was captured (a partial capture
// counts what was captured, not what was authorized). Each refund moves merchant →
// card_clearing in the ledger and shows as a negative balance transaction.

let h: WebPaymentsHarness;
before(async () => {
  h = await webPaymentsHarness();
});
afterEach(() => assertLedgerBalanced(h));
after(() => h.close());

test('several partial refunds up to the captured amount; one more yen is refused', async () => {
  const s = await shop(h);
  const p = await pay(h, s, '4242424242424242', { amount: 10_000, capture_method: 'manual' });
  const id = String(p['id']);
  await ok(h, s, `/v1/payments/${id}/capture`, { amount_to_capture: 8_000 });
  const r1 = await ok(h, s, `/v1/payments/${id}/refunds`, { amount: 3_000, reason: 'duplicate' });
  assert.equal(r1['status'], 'succeeded');
  assert.equal(r1['payment'], id);
  const r2 = await ok(h, s, '/v1/refunds', { payment: id, amount: 4_000 });
  assert.equal(r2['status'], 'succeeded');
  const over = await post(h, s, '/v1/refunds', { payment: id, amount: 1_001 });
  assert.equal(over.statusCode, 400, over.body);
  assert.equal(over.json().error.code, 'refund_amount_exceeds_refundable');
  assert.equal(over.json().error.refundable, 1_000);
  const rest = await ok(h, s, '/v1/refunds', { payment: id });
  assert.equal(rest['amount'], 1_000, 'no amount: the rest');
  const none = await post(h, s, '/v1/refunds', { payment: id, amount: 1 });
  assert.equal(none.json().error.code, 'refund_amount_exceeds_refundable');

  const read = (await get(h, s, `/v1/payments/${id}`)).json();
  assert.equal(read.amount_refunded, 8_000);
  assert.equal(read.status, 'succeeded');
  assert.deepEqual(await merchantBalance(h, s), { pending: 0n, posted: 0n });
  assert.equal(h.simulator.stats().refundedMinor, 8_000n);

  const refunds = (await get(h, s, `/v1/refunds?payment=${id}`)).json();
  assert.deepEqual(
    refunds.data.map((r: { amount: number }) => r.amount),
    [1_000, 4_000, 3_000],
  );
  const one = (await get(h, s, `/v1/refunds/${String(r1['id'])}`)).json();
  assert.equal(one.reason, 'duplicate');
  const txns = (await get(h, s, '/v1/balance_transactions')).json();
  assert.deepEqual(
    txns.data.map((t: { amount: number }) => t.amount),
    [-1_000, -4_000, -3_000, 8_000],
  );
  assert.ok((await eventTypes(h, s.merchantId)).includes('refund.succeeded'));
});

test('a replayed refund request refunds once', async () => {
  const s = await shop(h);
  const p = await pay(h, s, '4242424242424242', { amount: 2_000 });
  const url = `/v1/payments/${String(p['id'])}/refunds`;
  const a = await post(h, s, url, { amount: 500 }, 'refund-once');
  const b = await post(h, s, url, { amount: 500 }, 'refund-once');
  assert.equal(a.json().id, b.json().id);
  assert.equal(b.headers['idempotent-replayed'], 'true');
  const read = (await get(h, s, `/v1/payments/${String(p['id'])}`)).json();
  assert.equal(read.amount_refunded, 500);
  assert.equal((await merchantBalance(h, s)).posted, 1_500n);
});

test('refunds of uncaptured payments are refused', async () => {
  const s = await shop(h);
  const p = await pay(h, s, '4242424242424242', { amount: 2_000, capture_method: 'manual' });
  const res = await post(h, s, '/v1/refunds', { payment: String(p['id']), amount: 100 });
  assert.equal(res.statusCode, 409);
  assert.equal(res.json().error.code, 'payment_unexpected_state');
  assert.equal(res.json().error.status, 'requires_capture');
  await ok(h, s, `/v1/payments/${String(p['id'])}/cancel`, {});
});

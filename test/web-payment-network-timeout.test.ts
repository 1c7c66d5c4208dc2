import { after, afterEach, before, test } from 'node:test';
import assert from 'node:assert/strict';
import {
  assertLedgerBalanced,
  get,
  merchantBalance,
  ok,
  pay,
  post,
  shop,
  webPaymentsHarness,
  type WebPaymentsHarness,
} from './helpers/web-payments.ts';

// When the card network does not answer, the payment is processing: its outcome is unknown.
// A retry (the merchant confirming again, or the reconcile job) repeats the same call with
// the same idempotency key, so the network answers the first call's outcome: one hold, one
// capture, one refund — never two.

let h: WebPaymentsHarness;
before(async () => {
  h = await webPaymentsHarness();
});
afterEach(() => assertLedgerBalanced(h));
after(() => h.close());

test('authorization answer lost → processing → confirm again → one charge', async () => {
  const s = await shop(h);
  const before = h.simulator.stats();
  h.simulator.injectFault('authorize', 'lost_answer');
  const p = await pay(h, s, '4242424242424242', { amount: 5_500 });
  assert.equal(p['status'], 'processing', JSON.stringify(p));
  const done = await ok(h, s, `/v1/payments/${String(p['id'])}/confirm`);
  assert.equal(done['status'], 'succeeded');
  const stats = h.simulator.stats();
  assert.equal(stats.calls.authorize - before.calls.authorize, 2, 'asked twice');
  assert.equal(stats.capturedMinor - before.capturedMinor, 5_500n, 'charged once');
  assert.equal((await merchantBalance(h, s)).posted, 5_500n);
});

test('capture timeout → processing → the reconcile job finishes it, captured once', async () => {
  const s = await shop(h);
  const p = await pay(h, s, '4242424242424242', { amount: 2_200, capture_method: 'manual' });
  const id = String(p['id']);
  const before = h.simulator.stats();
  h.simulator.injectFault('capture', 'lost_answer');
  const res = await post(h, s, `/v1/payments/${id}/capture`, { amount_to_capture: 2_000 });
  assert.equal(res.json().status, 'processing', res.body);
  // Cancel cannot slip in while the capture's outcome is unknown.
  const cancel = await post(h, s, `/v1/payments/${id}/cancel`, {});
  assert.equal(cancel.json().error.code, 'payment_unexpected_state');
  await h.payments.reconcile();
  const read = (await get(h, s, `/v1/payments/${id}`)).json();
  assert.equal(read.status, 'succeeded');
  assert.equal(read.amount_received, 2_000);
  assert.equal(h.simulator.stats().capturedMinor - before.capturedMinor, 2_000n);
  assert.deepEqual(await merchantBalance(h, s), { pending: 0n, posted: 2_000n });
});

test('network unreachable on void → processing → cancel again → canceled', async () => {
  const s = await shop(h);
  const p = await pay(h, s, '4242424242424242', { amount: 1_200, capture_method: 'manual' });
  const id = String(p['id']);
  h.simulator.injectFault('void', 'network_error');
  const first = await post(h, s, `/v1/payments/${id}/cancel`, {});
  assert.equal(first.json().status, 'processing', first.body);
  const second = await ok(h, s, `/v1/payments/${id}/cancel`, {});
  assert.equal(second['status'], 'canceled');
  assert.deepEqual(await merchantBalance(h, s), { pending: 0n, posted: 0n });
});

test('refund timeout → pending → the reconcile job refunds once', async () => {
  const s = await shop(h);
  const p = await pay(h, s, '4242424242424242', { amount: 3_000 });
  const before = h.simulator.stats();
  h.simulator.injectFault('refund', 'timeout');
  const r = await ok(h, s, '/v1/refunds', { payment: String(p['id']), amount: 1_000 });
  assert.equal(r['status'], 'pending');
  const over = await post(h, s, '/v1/refunds', { payment: String(p['id']), amount: 2_001 });
  assert.equal(over.json().error.code, 'refund_amount_exceeds_refundable', 'pending counts');
  await h.payments.reconcile();
  const read = (await get(h, s, `/v1/refunds/${String(r['id'])}`)).json();
  assert.equal(read.status, 'succeeded');
  assert.equal(h.simulator.stats().refundedMinor - before.refundedMinor, 1_000n);
  assert.equal((await merchantBalance(h, s)).posted, 2_000n);
});

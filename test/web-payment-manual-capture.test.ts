import { after, afterEach, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
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

// Authorize now, capture later: the ledger holds the amount as a pending transfer; a partial
// capture posts part and releases the rest; cancel voids; an authorization left past its
// validity is canceled by the reconcile job and can no longer be captured.

let h: WebPaymentsHarness;
before(async () => {
  h = await webPaymentsHarness();
});
afterEach(() => assertLedgerBalanced(h));
after(() => h.close());

test('partial capture posts part and releases the rest', async () => {
  const s = await shop(h);
  const p = await pay(h, s, '4242424242424242', { amount: 10_000, capture_method: 'manual' });
  assert.equal(p['status'], 'requires_capture');
  assert.equal(p['amount_capturable'], 10_000);
  assert.deepEqual(await merchantBalance(h, s), { pending: 10_000n, posted: 0n });
  const id = String(p['id']);
  const over = await post(h, s, `/v1/payments/${id}/capture`, { amount_to_capture: 10_001 });
  assert.equal(over.json().error.code, 'capture_amount_exceeds_capturable', over.body);
  const captured = await ok(h, s, `/v1/payments/${id}/capture`, { amount_to_capture: 6_000 });
  assert.equal(captured['status'], 'succeeded');
  assert.equal(captured['amount_received'], 6_000);
  assert.equal(captured['amount_capturable'], 0);
  assert.deepEqual(await merchantBalance(h, s), { pending: 0n, posted: 6_000n });
  const again = await post(h, s, `/v1/payments/${id}/capture`, {});
  assert.equal(again.statusCode, 409);
  assert.equal(again.json().error.code, 'payment_unexpected_state');
  const cancel = await post(h, s, `/v1/payments/${id}/cancel`, {});
  assert.equal(cancel.json().error.code, 'payment_unexpected_state');
});

test('cancel voids the authorization at the acquirer and in the ledger', async () => {
  const s = await shop(h);
  const holds = h.simulator.stats().approvedHolds;
  const p = await pay(h, s, '4242424242424242', { amount: 2_500, capture_method: 'manual' });
  assert.equal(h.simulator.stats().approvedHolds, holds + 1);
  const id = String(p['id']);
  const canceled = await ok(h, s, `/v1/payments/${id}/cancel`, {
    cancellation_reason: 'requested_by_customer',
  });
  assert.equal(canceled['status'], 'canceled');
  assert.equal(canceled['cancellation_reason'], 'requested_by_customer');
  assert.equal(h.simulator.stats().approvedHolds, holds, 'hold released at the network');
  assert.deepEqual(await merchantBalance(h, s), { pending: 0n, posted: 0n });
  const capture = await post(h, s, `/v1/payments/${id}/capture`, {});
  assert.equal(capture.json().error.code, 'payment_unexpected_state');
  const refund = await post(h, s, `/v1/payments/${id}/refunds`, {});
  assert.equal(refund.json().error.code, 'payment_unexpected_state');
});

test('an authorization past its validity is canceled as expired and never captured', async () => {
  const s = await shop(h);
  const p = await pay(h, s, '4242424242424242', { amount: 1_500, capture_method: 'manual' });
  const id = String(p['id']);
  h.api.clock.advanceMs(7 * 24 * 3600 * 1000 + 1000);
  const late = await post(h, s, `/v1/payments/${id}/capture`, {});
  assert.equal(late.json().error.code, 'payment_authorization_expired', late.body);
  await h.ledger.expirePendingTransfers();
  await h.payments.reconcile();
  const read = (await get(h, s, `/v1/payments/${id}`)).json();
  assert.equal(read.status, 'canceled');
  assert.equal(read.cancellation_reason, 'expired');
  assert.deepEqual(await merchantBalance(h, s), { pending: 0n, posted: 0n });
});

test('cancel before confirmation needs no card network', async () => {
  const s = await shop(h);
  const p = await ok(h, s, '/v1/payments', { amount: 900, currency: 'USD' });
  const canceled = await ok(h, s, `/v1/payments/${String(p['id'])}/cancel`, {});
  assert.equal(canceled['status'], 'canceled');
  const confirm = await post(h, s, `/v1/payments/${String(p['id'])}/confirm`, {});
  assert.equal(confirm.json().error.code, 'payment_unexpected_state');
});

test('a capture after the ledger hold ended is booked once, as a late capture', async () => {
  const s = await shop(h);
  const p = await pay(h, s, '4242424242424242', { amount: 3_000, capture_method: 'manual' });
  const id = String(p['id']);
  // The ledger's hold ends while the card network's hold still stands (as after an expiry
  // sweep that ran ahead of the network's): the capture is booked as a plain transfer.
  const sql = h.api.db.sql;
  const [row] = await sql<{ pending_transfer_id: string }[]>`
    select pending_transfer_id::text from checkout_payments where id = ${id}`;
  const [voided] = await h.ledger.createTransfers([
    {
      id: randomUUID(),
      pendingId: row!.pending_transfer_id,
      flags: { voidPendingTransfer: true },
    },
  ]);
  assert.equal(voided?.result, 'ok');
  const captured = await ok(h, s, `/v1/payments/${id}/capture`, {});
  assert.equal(captured['status'], 'succeeded');
  assert.deepEqual(await merchantBalance(h, s), { pending: 0n, posted: 3_000n });
  const balance = await sql<{ transfer_id: string }[]>`
    select transfer_id::text from payments_balance_transactions where source_id = ${id}`;
  assert.equal(balance.length, 1);
  const late = balance[0]!.transfer_id;
  const [booked] = await h.ledger.lookupTransfers([late]);
  assert.equal(booked?.pendingId, null, 'a plain transfer, not the post of the ended hold');
  assert.equal(booked?.amount, 3_000n);
  // The first attempt, written for the hold's post, rolled back: one event, one entry.
  const events = await eventTypes(h, s.merchantId);
  assert.equal(events.filter((t) => t === 'payment.succeeded').length, 1);
  const entries = await sql<{ transfer: string | null }[]>`
    select detail::jsonb ->> 'ledger_transfer' as transfer from audit_entries
    where action = 'payments_web.payment.succeeded' and subject_id = ${id}`;
  assert.deepEqual(
    entries.map((e) => e.transfer),
    [late],
  );
});

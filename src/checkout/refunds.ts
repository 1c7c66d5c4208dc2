import type { Tx } from '../db/index.ts';
import { assert } from '../lib/assert.ts';
import { KinkoError } from '../lib/errors.ts';
import { publicId } from '../lib/ids.ts';
import {
  isTransportError,
  lockUntil,
  postTransfers,
  refuseIfSuspended,
  withLastWrites,
  type Caller,
  type LastWrites,
  type WebPaymentsDeps,
} from './context.ts';
import { notFound, stateError, stateOf } from './payments.ts';
import { checkAction, refundable } from './state.ts';
import * as store from './store.ts';
import { refundTransfer } from './transfers.ts';
import { refundView, type RefundView } from './views.ts';
import { checkoutError } from './errors.ts';

// Refunds, partial and several, never more in total than was captured: a new refund reserves
// its amount on the payment (amount_refund_reserved) in the transaction that creates it, so
// concurrent refunds cannot together exceed the capture. The acquirer refund runs outside
// the transaction under the refund's id as idempotency key; the ledger transfer
// merchant → card_clearing is posted only once the network confirmed the refund.

type RefundReason = 'duplicate' | 'fraudulent' | 'requested_by_customer';

export interface CreateRefundInput {
  payment: string;
  amount?: bigint | undefined;
  reason?: RefundReason | undefined;
  metadata?: Record<string, string> | undefined;
}

export async function createRefund(
  d: WebPaymentsDeps,
  who: Caller,
  input: CreateRefundInput,
): Promise<RefundView> {
  refuseIfSuspended(d, 'refunds', who);
  const refund = await d.sql.begin(async (tx) => {
    const p = await store.paymentOf(tx, who, input.payment, true);
    if (!p) throw notFound();
    const check = checkAction('refund', stateOf(p), d.clock.nowMs());
    if (!check.ok) throw stateError(check.code, p.status);
    const left = refundable({
      amountReceived: p.amount_received,
      amountRefundReserved: p.amount_refund_reserved,
    });
    const amount = input.amount ?? left;
    if (amount <= 0n || amount > left) {
      throw checkoutError('refund_amount_exceeds_refundable', {
        param: 'amount',
        extra: { refundable: Number(left) },
      });
    }
    const now = d.clock.now();
    await store.updatePayment(
      tx,
      p.id,
      { amount_refund_reserved: p.amount_refund_reserved + amount },
      now,
    );
    const r = await store.insertRefund(tx, {
      id: publicId('ref', 16),
      payment_id: p.id,
      merchant_id: p.merchant_id,
      livemode: p.livemode,
      amount,
      currency: p.currency,
      status: 'pending',
      reason: input.reason ?? null,
      metadata: input.metadata ?? {},
      locked_until: lockUntil(d),
      created_at: now,
    });
    await auditRefund(d, tx, who, r, 'created');
    return r;
  });
  return refundView(await runRefund(d, who, refund.id));
}

/** Calls the acquirer for a pending refund and records the answer. */
export async function runRefund(
  d: WebPaymentsDeps,
  who: Caller,
  refundId: string,
): Promise<store.RefundRow> {
  const { r, authorizationId } = await d.sql.begin(async (tx) => {
    const row = await store.refundById(tx, refundId);
    assert(row, 'refund vanished');
    const p = await store.paymentById(tx, row.payment_id);
    assert(p?.authorization_id, 'refund of a payment without authorization');
    return { r: row, authorizationId: p.authorization_id };
  });
  if (r.status !== 'pending') return r;
  let refused: string | undefined;
  try {
    const op = await d.acquirer.refund({
      idempotencyKey: r.id,
      authorizationId,
      amountMinor: r.amount,
    });
    if (op.status === 'failed') refused = op.failureCode ?? 'refund_failed';
  } catch (error) {
    if (isTransportError(error)) return d.sql.begin((tx) => unlock(d, tx, r.id));
    if (!(error instanceof KinkoError)) throw error;
    refused = error.code;
  }
  // Compensation: if recording fails, the refund stays pending and the reconcile job repeats
  // the acquirer call under the same key (answered from its record) and records it again.
  return withLastWrites((writes) =>
    d.sql.begin((tx) => recordRefund(d, tx, who, r.id, refused, writes)),
  );
}

async function unlock(d: WebPaymentsDeps, tx: Tx, id: string): Promise<store.RefundRow> {
  return store.updateRefund(tx, id, { locked_until: null }, d.clock.now());
}

async function recordRefund(
  d: WebPaymentsDeps,
  tx: Tx,
  who: Caller,
  id: string,
  refused: string | undefined,
  writes: LastWrites,
): Promise<store.RefundRow> {
  const r = await store.refundById(tx, id);
  assert(r, 'refund vanished');
  if (r.status !== 'pending') return r;
  const p = await store.paymentById(tx, r.payment_id);
  assert(p, 'payment vanished');
  const now = d.clock.now();
  if (refused !== undefined) {
    const reserved = p.amount_refund_reserved - r.amount;
    await store.updatePayment(tx, p.id, { amount_refund_reserved: reserved }, now);
    const failed = await store.updateRefund(
      tx,
      r.id,
      {
        status: 'failed',
        failure_reason: refused,
        locked_until: null,
      },
      now,
    );
    await announce(d, tx, who, failed, 'failed');
    return failed;
  }
  const transfer = refundTransfer(r);
  // The rows, event and audit entry first; the transfer, which locks the merchant's and
  // clearing accounts, last, its write leaving with COMMIT (postTransfers' `writes`).
  await store.insertBalanceTransaction(tx, {
    id: publicId('txn', 16),
    merchant_id: r.merchant_id,
    livemode: r.livemode,
    type: 'refund',
    source_id: r.id,
    transfer_id: transfer.id,
    amount: -r.amount,
    currency: r.currency,
    created_at: now,
  });
  await store.updatePayment(tx, p.id, { amount_refunded: p.amount_refunded + r.amount }, now);
  const done = await store.updateRefund(
    tx,
    r.id,
    {
      status: 'succeeded',
      transfer_id: transfer.id,
      locked_until: null,
    },
    now,
  );
  await announce(d, tx, who, done, 'succeeded');
  await postTransfers(d, tx, [transfer], who, [], writes);
  return done;
}

async function announce(
  d: WebPaymentsDeps,
  tx: Tx,
  who: Caller,
  r: store.RefundRow,
  what: 'succeeded' | 'failed',
): Promise<void> {
  await d.webhooks.emitEvent(tx, {
    merchantId: r.merchant_id,
    type: `refund.${what}`,
    object: refundView(r),
    orderKey: r.payment_id,
  });
  await auditRefund(d, tx, who, r, what);
}

async function auditRefund(
  d: WebPaymentsDeps,
  tx: Tx,
  who: Caller,
  r: store.RefundRow,
  what: 'created' | 'succeeded' | 'failed',
): Promise<void> {
  await d.audit.append(tx, [
    {
      action: `payments_web.refund.${what}`,
      actor: who.actor,
      subject: { type: 'refund', id: r.id },
      source: who.source,
      outcome: what === 'failed' ? 'failure' : 'success',
      detail: {
        payment_id: r.payment_id,
        amount: r.amount.toString(),
        currency: r.currency,
        failure_reason: r.failure_reason ?? undefined,
      },
    },
  ]);
}

export async function getRefund(d: WebPaymentsDeps, who: Caller, id: string) {
  const r = await store.refundOf(d.sql, who, id);
  if (!r) throw checkoutError('web_refund_not_found', { param: 'id' });
  return refundView(r);
}

import type { Tx } from '../db/index.ts';
import { assert } from '../lib/assert.ts';
import { KinkoError } from '../lib/errors.ts';
import { release, voidKey } from './capture.ts';
import {
  isTransportError,
  lockUntil,
  postTransfers,
  transition,
  withLastWrites,
  type Caller,
  type LastWrites,
  type WebPaymentsDeps,
} from './context.ts';
import { notFound, stateError, stateOf } from './payments.ts';
import { checkAction } from './state.ts';
import * as store from './store.ts';
import { voidTransfer } from './transfers.ts';
import { closeReview } from './review-hold.ts';
import { paymentView, type PaymentView } from './views.ts';

// Cancel: before an authorization, only the status changes. With an approved authorization
// the hold is voided at the acquirer (outside the transaction) and the ledger's pending
// transfer is voided in the one that records it. After cancel nothing is ever captured.

export type CancellationReason =
  | 'duplicate'
  | 'fraudulent'
  | 'requested_by_customer'
  | 'abandoned'
  | 'expired'
  | 'review_declined';

export async function cancelPayment(
  d: WebPaymentsDeps,
  who: Caller,
  id: string,
  reason: CancellationReason | undefined,
): Promise<PaymentView> {
  const claimed = await d.sql.begin(async (tx) => {
    const p = await store.paymentOf(tx, who, id, true);
    if (!p) throw notFound();
    return claimCancel(d, tx, who, p, reason ?? null);
  });
  return paymentView(claimed.step === 'void' ? await runVoid(d, who, claimed) : claimed);
}

/** In the caller's transaction, with the payment locked. */
export async function claimCancel(
  d: WebPaymentsDeps,
  tx: Tx,
  who: Caller,
  p: store.PaymentRow,
  reason: string | null,
): Promise<store.PaymentRow> {
  const check = checkAction('cancel', stateOf(p), d.clock.nowMs());
  if (!check.ok) throw stateError(check.code, p.status);
  if (check.resume)
    return store.updatePayment(tx, p.id, { locked_until: lockUntil(d) }, d.clock.now());
  if (p.status === 'requires_capture' || p.status === 'requires_review') {
    const voiding = await transition(
      d,
      tx,
      p,
      {
        status: 'processing',
        step: 'void',
        locked_until: lockUntil(d),
        cancellation_reason: reason,
      },
      who,
    );
    // A payment held for review ends without a decision: its review is closed with it.
    if (p.status === 'requires_review') {
      await closeReview(d, tx, voiding, reason === 'expired' ? 'expired' : 'canceled');
    }
    return voiding;
  }
  // No approved hold yet. An open 3-D Secure challenge may still end approved: the
  // reconcile job then voids that hold (release_hold), and it is never captured.
  return transition(
    d,
    tx,
    p,
    {
      status: 'canceled',
      cancellation_reason: reason,
      next_action: null,
      release_hold: p.status === 'requires_action',
    },
    who,
  );
}

export async function runVoid(
  d: WebPaymentsDeps,
  who: Caller,
  p: store.PaymentRow,
): Promise<store.PaymentRow> {
  assert(p.authorization_id, 'void without an authorization');
  let refused: string | undefined;
  try {
    const r = await d.acquirer.void({
      idempotencyKey: voidKey(p),
      authorizationId: p.authorization_id,
    });
    if (r.status === 'failed') refused = r.failureCode ?? 'void_failed';
  } catch (error) {
    if (isTransportError(error)) return release(d, who, p.id, 'void', error.code);
    if (!(error instanceof KinkoError)) throw error;
    refused = error.code;
  }
  // A refused void (the hold already ended at the network) cancels all the same: nothing is
  // captured after this point, so no money moves. The refusal is kept in the audit entry.
  return withLastWrites((writes) =>
    d.sql.begin((tx) => recordVoid(d, tx, who, p.id, refused, writes)),
  );
}

async function recordVoid(
  d: WebPaymentsDeps,
  tx: Tx,
  who: Caller,
  id: string,
  refused: string | undefined,
  writes: LastWrites,
): Promise<store.PaymentRow> {
  const p = await store.paymentById(tx, id);
  assert(p, 'payment vanished');
  if (p.status !== 'processing' || p.step !== 'void') return p;
  const ended = ['pending_transfer_expired', 'pending_transfer_already_voided'];
  // The payment's row, event and audit entry first; the void, which locks the merchant's
  // and clearing accounts, last, its write leaving with COMMIT (postTransfers' `writes`).
  const next = await transition(d, tx, p, { status: 'canceled', amount_capturable: 0n }, who, {
    acquirer_void_refused: refused,
  });
  await postTransfers(d, tx, [voidTransfer(p)], who, ended, writes);
  return next;
}

import type { OperationResult } from '../acquirer/index.ts';
import { allSent, type Tx } from '../db/index.ts';
import { assert } from '../lib/assert.ts';
import { KinkoError } from '../lib/errors.ts';
import { publicId } from '../lib/ids.ts';
import {
  isTransportError,
  lockUntil,
  onPayment,
  postTransfers,
  transition,
  type Caller,
  type LastWrites,
  type WebPaymentsDeps,
} from './context.ts';
import { notFound, stateError, stateOf } from './payments.ts';
import { checkAction } from './state.ts';
import * as store from './store.ts';
import { captureTransfer, lateCaptureTransfer } from './transfers.ts';
import { paymentView, type PaymentView } from './views.ts';
import { checkoutError } from './errors.ts';

// Capture and cancel of an approved authorization. Each claims the payment (processing, with
// the step and a lock) in one transaction, calls the acquirer outside it under a key derived
// from the payment, and records the answer in another. A timeout leaves the payment
// processing; a retry (the merchant's, or the reconcile job's) repeats the same call with
// the same key, so the card is never captured twice.

const captureKey = (p: { id: string }) => `${p.id}:capture`;
export const voidKey = (p: { id: string }) => `${p.id}:void`;

export async function capturePayment(
  d: WebPaymentsDeps,
  who: Caller,
  id: string,
  amountToCapture: bigint | undefined,
): Promise<PaymentView> {
  const claimed = await d.sql.begin(async (tx) => {
    const p = await store.paymentOf(tx, who, id, true);
    if (!p) throw notFound();
    const check = checkAction('capture', stateOf(p), d.clock.nowMs());
    if (!check.ok) throw stateError(check.code, p.status);
    const lock = { locked_until: lockUntil(d) };
    if (check.resume) {
      if (amountToCapture !== undefined && amountToCapture !== p.capture_amount) {
        throw checkoutError('payment_in_progress', { extra: { status: p.status } });
      }
      return store.updatePayment(tx, p.id, lock, d.clock.now());
    }
    const amount = amountToCapture ?? p.amount_capturable;
    if (amount <= 0n || amount > p.amount_capturable) {
      throw checkoutError('capture_amount_exceeds_capturable', { param: 'amount_to_capture' });
    }
    const expires = p.authorization_expires_at?.getTime() ?? 0;
    if (expires <= d.clock.nowMs()) throw checkoutError('payment_authorization_expired');
    const patch = { status: 'processing' as const, step: 'capture' as const, ...lock };
    return transition(d, tx, p, { ...patch, capture_amount: amount }, who);
  });
  const p = await runCapture(d, who, claimed);
  if (p.status === 'requires_capture' && p.last_payment_error?.code === 'capture_failed') {
    throw checkoutError('payment_capture_failed', {
      extra: { decline_code: p.last_payment_error.decline_code, payment: paymentView(p) },
    });
  }
  return paymentView(p);
}

/** The capture call for a payment claimed as processing/capture. */
export async function runCapture(
  d: WebPaymentsDeps,
  who: Caller,
  p: store.PaymentRow,
): Promise<store.PaymentRow> {
  assert(p.authorization_id && p.capture_amount, 'capture without authorization or amount');
  let r: OperationResult | { status: 'failed'; failureCode: string };
  try {
    r = await d.acquirer.capture({
      idempotencyKey: captureKey(p),
      authorizationId: p.authorization_id,
      amountMinor: p.capture_amount,
    });
  } catch (error) {
    if (isTransportError(error)) return release(d, who, p.id, 'capture', error.code);
    if (!(error instanceof KinkoError)) throw error;
    r = { status: 'failed', failureCode: error.code };
  }
  if (r.status === 'failed') {
    const code = r.failureCode ?? 'capture_failed';
    return onPayment(d, p.id, (tx, now) => captureRefused(d, tx, who, now, code));
  }
  // Compensation: if this transaction fails, the capture stands at the acquirer and the
  // payment stays processing/capture; the reconcile job repeats the capture under the same
  // key (answered from the acquirer's record, no second charge) and records it again.
  try {
    return await onPayment(d, p.id, (tx, now, w) => recordCapture(d, tx, who, now, w, 'hold'));
  } catch (error) {
    if (!(error instanceof HoldEnded)) throw error;
    d.log.warn({ payment_id: p.id, ledger: error.result }, 'captured after the ledger hold ended');
    return onPayment(d, p.id, (tx, now, w) => recordCapture(d, tx, who, now, w, 'late'));
  }
}

/**
 * The ledger's hold had ended (expired, voided) when the capture was recorded: that
 * transaction, written for the hold's post, rolls back, and the capture is recorded again
 * as a late one (lateCaptureTransfer). An ended hold never comes back, so once is enough.
 */
class HoldEnded extends Error {
  constructor(readonly result: string) {
    super(`the ledger hold ended: ${result}`);
  }
}

const HOLD_ENDED = ['pending_transfer_expired', 'pending_transfer_already_voided'];

/** The call's outcome is unknown: free the payment for a retry with the same key. */
export async function release(
  d: WebPaymentsDeps,
  who: Caller,
  id: string,
  step: 'capture' | 'void',
  network: string,
): Promise<store.PaymentRow> {
  return d.sql.begin(async (tx) => {
    const p = await store.paymentById(tx, id);
    assert(p, 'payment vanished');
    if (p.status !== 'processing' || p.step !== step) return p;
    return transition(d, tx, p, { status: 'processing', locked_until: null }, who, { network });
  });
}

async function captureRefused(
  d: WebPaymentsDeps,
  tx: Tx,
  who: Caller,
  p: store.PaymentRow | undefined,
  code: string,
): Promise<store.PaymentRow> {
  assert(p, 'payment vanished');
  if (p.status !== 'processing' || p.step !== 'capture') return p;
  const error = {
    type: 'card_error' as const,
    code: 'capture_failed',
    decline_code: code,
    message: 'The card network refused the capture.',
  };
  return transition(
    d,
    tx,
    p,
    {
      status: 'requires_capture',
      capture_amount: null,
      last_payment_error: error,
    },
    who,
  );
}

/**
 * Records a capture: the balance transaction, the payment's row, its event and audit entry
 * first, the ledger's post last (its write leaves with COMMIT: postTransfers' `writes`), so
 * the merchant's and clearing accounts are locked for that write and COMMIT only. `booking`
 * says which transfer books it: the hold's post, or, once the hold ended, a late capture.
 */
async function recordCapture(
  d: WebPaymentsDeps,
  tx: Tx,
  who: Caller,
  p: store.PaymentRow | undefined,
  writes: LastWrites,
  booking: 'hold' | 'late',
): Promise<store.PaymentRow> {
  assert(p && p.capture_amount, 'payment vanished');
  if (p.status !== 'processing' || p.step !== 'capture') return p;
  const amount = p.capture_amount;
  const hold = booking === 'hold';
  const transfer = hold ? captureTransfer(p, amount) : lateCaptureTransfer(p, amount);
  // The ledger's post goes out with them: it locks the hold's transfer, the payment's own,
  // and reads the shared accounts without locking them; its write leaves with COMMIT.
  const [, next, [result]] = await allSent([
    store.insertBalanceTransaction(tx, {
      id: publicId('txn', 16),
      merchant_id: p.merchant_id,
      livemode: p.livemode,
      type: 'payment',
      source_id: p.id,
      transfer_id: transfer.id,
      amount,
      currency: p.currency,
      created_at: d.clock.now(),
    }),
    transition(
      d,
      tx,
      p,
      {
        status: 'succeeded',
        amount_received: amount,
        amount_capturable: 0n,
        capture_amount: null,
        last_payment_error: null,
      },
      who,
      { ledger_transfer: transfer.id },
    ),
    postTransfers(d, tx, [transfer], who, hold ? HOLD_ENDED : [], writes),
  ]);
  if (result !== 'ok' && result !== 'exists') throw new HoldEnded(result ?? 'no answer');
  return next;
}

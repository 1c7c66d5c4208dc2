import { allSent, beginReading, type Tx } from '../db/index.ts';
import { KinkoError } from '../lib/errors.ts';
import { vaultError } from '../vault/index.ts';
import { publicId } from '../lib/ids.ts';
import { isCurrency } from '../money/index.ts';
import {
  ensureAccounts,
  refuseIfSuspended,
  transition,
  type Caller,
  type WebPaymentsDeps,
} from './context.ts';
import { checkAction, type CaptureMethod, type PaymentStatus } from './state.ts';
import * as store from './store.ts';
import { paymentView, type PaymentView } from './views.ts';
import { createdRange, pageOf, type ListQuery, httpError } from '../http/index.ts';
import { checkoutError, type PaymentsWebErrorCode } from './errors.ts';

// Creating, updating, reading and listing web payments. Confirmation, capture, cancel and
// refunds, which call the card network, live in confirm.ts, capture.ts and refunds.ts.

export interface CreatePaymentInput {
  amount: bigint;
  currency: string;
  paymentMethod?: string | undefined;
  captureMethod?: CaptureMethod | undefined;
  description?: string | undefined;
  statementDescriptor?: string | undefined;
  metadata?: Record<string, string> | undefined;
}

export interface UpdatePaymentInput {
  paymentMethod?: string | undefined;
  description?: string | undefined;
  statementDescriptor?: string | undefined;
  metadata?: Record<string, string> | undefined;
}

const SAFE_MAX = BigInt(Number.MAX_SAFE_INTEGER);

export function notFound(): KinkoError {
  return checkoutError('web_payment_not_found', { param: 'id' });
}

/**
 * The card token must be a live card of this merchant: tokens never cross merchants. `db`:
 * read in the caller's transaction (a new payment's goes out with its BEGIN).
 */
async function checkCard(d: WebPaymentsDeps, who: Caller, token: string, db?: Tx): Promise<void> {
  const card = await d.vault.getCard(token, db).catch((e: unknown) => {
    if (vaultError.is(e, 'card_not_found')) return undefined;
    throw e;
  });
  if (!card || card.deleted || card.merchantId !== who.merchantId) {
    throw checkoutError('payment_method_invalid', { param: 'payment_method' });
  }
}

/** A new payment's row as its insert writes it: the table's defaults for the rest. */
function asInserted(p: store.NewPayment): store.ViewedPayment {
  return {
    ...p,
    step: null,
    locked_until: null,
    attempt: 0,
    authorization_id: null,
    authorization_expires_at: null,
    pending_transfer_id: null,
    amount_capturable: 0n,
    amount_received: 0n,
    amount_refunded: 0n,
    amount_refund_reserved: 0n,
    capture_amount: null,
    next_action: null,
    last_payment_error: null,
    cancellation_reason: null,
    release_hold: false,
    challenge_required: false,
    review_decision_id: null,
    updated_at: p.created_at,
  };
}

export async function createPayment(
  d: WebPaymentsDeps,
  who: Caller,
  input: CreatePaymentInput,
): Promise<PaymentView> {
  refuseIfSuspended(d, 'web_payments', who);
  const currency = input.currency.toUpperCase();
  if (!isCurrency(currency)) {
    throw checkoutError('payment_currency_unsupported', { param: 'currency' });
  }
  if (input.amount > SAFE_MAX) throw checkoutError('payment_amount_too_large', { param: 'amount' });
  const owner = { merchant_id: who.merchantId, livemode: who.livemode, currency };
  await ensureAccounts(d, owner);
  const token = input.paymentMethod;
  // The card's check goes out with BEGIN; the payment is written once both answered.
  const checked = (tx: Tx) =>
    token === undefined ? Promise.resolve() : checkCard(d, who, token, tx);
  const row = await beginReading(d.sql, checked, async (tx) => {
    const p = asInserted({
      id: publicId('pay', 16),
      ...owner,
      amount: input.amount,
      capture_method: input.captureMethod ?? 'automatic',
      status: token ? 'requires_confirmation' : 'requires_payment_method',
      card_token: token ?? null,
      description: input.description ?? null,
      statement_descriptor: input.statementDescriptor ?? null,
      metadata: input.metadata ?? {},
      created_at: d.clock.now(),
    });
    // The row, its webhook event and its audit entry go out together, one round trip for
    // all; all settle before COMMIT or ROLLBACK, which then follows whatever any sends.
    const [inserted] = await allSent([
      store.insertPayment(tx, p),
      d.webhooks.emitEvent(tx, {
        merchantId: p.merchant_id,
        type: 'payment.created',
        object: paymentView(p),
        orderKey: p.id,
      }),
      d.audit.append(tx, [
        {
          action: 'payments_web.payment.created',
          actor: who.actor,
          subject: { type: 'payment', id: p.id },
          source: who.source,
          outcome: 'success',
          detail: { status: p.status, amount: p.amount.toString(), currency: p.currency },
        },
      ]),
    ]);
    return inserted;
  });
  return paymentView(row);
}

export async function updatePayment(
  d: WebPaymentsDeps,
  who: Caller,
  id: string,
  input: UpdatePaymentInput,
): Promise<PaymentView> {
  if (input.paymentMethod !== undefined) await checkCard(d, who, input.paymentMethod);
  const row = await d.sql.begin(async (tx) => {
    const p = await store.paymentOf(tx, who, id, true);
    if (!p) throw notFound();
    const patch: store.PaymentPatch = {
      description: input.description,
      statement_descriptor: input.statementDescriptor,
      metadata: input.metadata,
    };
    if (input.paymentMethod === undefined) {
      const next = await store.updatePayment(tx, p.id, patch, d.clock.now());
      await d.audit.append(tx, [
        {
          action: 'payments_web.payment.updated',
          actor: who.actor,
          subject: { type: 'payment', id: p.id },
          source: who.source,
          outcome: 'success',
          detail: { fields: Object.keys(input).join(',') },
        },
      ]);
      return next;
    }
    const check = checkAction('update', stateOf(p), d.clock.nowMs());
    if (!check.ok) throw stateError(check.code, p.status);
    const status: PaymentStatus = 'requires_confirmation';
    return transition(
      d,
      tx,
      p,
      { ...patch, status, card_token: input.paymentMethod, last_payment_error: null },
      who,
      {
        payment_method_changed: true,
      },
    );
  });
  return paymentView(row);
}

export function stateOf(p: store.PaymentRow) {
  return {
    status: p.status,
    step: p.step,
    lockedUntilMs: p.locked_until?.getTime() ?? null,
    hasPaymentMethod: p.card_token !== null,
  };
}

export function stateError(code: PaymentsWebErrorCode, status: PaymentStatus): KinkoError {
  return checkoutError(code, { extra: { status } });
}

export async function getPayment(d: WebPaymentsDeps, who: Caller, id: string) {
  const p = await store.paymentOf(d.sql, who, id);
  if (!p) throw notFound();
  return paymentView(p);
}

type Listable = Parameters<typeof store.list>[1];

/** One page, newest first, with id cursors (starting_after / ending_before) and has_more. */
export async function listPage<R, V>(
  d: WebPaymentsDeps,
  who: Caller,
  table: Listable,
  q: ListQuery,
  view: (r: R) => V,
) {
  const cursor = async (id: string | undefined, param: string) => {
    if (id === undefined) return undefined;
    const seq = await store.seqOf(d.sql, table, who, id);
    if (seq === undefined) throw httpError('pagination_cursor_not_found', { param });
    return seq;
  };
  const range = createdRange(q.created ?? {});
  const rows = await store.list<R>(d.sql, table, who, {
    limit: q.limit,
    beforeSeq: await cursor(q.startingAfter, 'starting_after'),
    afterSeq: await cursor(q.endingBefore, 'ending_before'),
    status: q.status,
    paymentId: q.payment,
    createdGte: range.from,
    createdLt: range.to,
  });
  return pageOf(rows, q.limit, q.endingBefore !== undefined, view);
}

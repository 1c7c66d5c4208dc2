import type { Authorization } from '../acquirer/index.ts';
import { allSent, beginReading, type Tx } from '../db/index.ts';
import { assert } from '../lib/assert.ts';
import { vaultError } from '../vault/index.ts';
import { runCapture } from './capture.ts';
import {
  isTransportError,
  lockUntil,
  onPayment,
  postTransfers,
  refuseIfSuspended,
  transition,
  withLastWrites,
  type Caller,
  type LastWrites,
  type WebPaymentsDeps,
} from './context.ts';
import { notFound, stateError, stateOf } from './payments.ts';
import { afterAuthorization, checkAction, outcomeOf } from './state.ts';
import * as store from './store.ts';
import { authorizeTransfer } from './transfers.ts';
import { decideWebPayment, recordWebDecision, refuseWebPayment } from './risk.ts';
import { openReview } from './review-hold.ts';
import type { Assessment } from '../risk/index.ts';
import { paymentView, type PaymentView } from './views.ts';

// Confirmation: authorize the card through the vault and the acquirer, outside any
// transaction, then record the outcome in one. Confirming again resumes: after a timeout it
// repeats the same call under the same idempotency key (the network answers the first
// call's outcome, never a second hold); after a 3-D Secure challenge it reads how the
// challenge ended. Only an approved authorization leads toward a charge.

/** The acquirer idempotency key of a confirmation attempt. */
const authorizeKey = (p: { id: string; attempt: number }) => `${p.id}:authorize:${p.attempt}`;

type Claimed =
  | { next: 'authorize' | 'capture' | 'sync'; p: store.PaymentRow }
  | { next: 'none'; p: store.PaymentRow }
  | { next: 'refused'; p: store.PaymentRow; assessment: Assessment };

export async function confirmPayment(
  d: WebPaymentsDeps,
  who: Caller,
  id: string,
): Promise<PaymentView> {
  // The payment's row, locked, goes out with BEGIN.
  const locked = (tx: Tx) => store.paymentOf(tx, who, id, true);
  const claimed = await withLastWrites((writes) =>
    beginReading(d.sql, locked, (tx, p) => claim(d, who, tx, p, writes)),
  );
  if (claimed.next === 'refused') return refuseWebPayment(d, claimed.p, claimed.assessment);
  return paymentView(await proceed(d, who, claimed));
}

/**
 * Claims a payment for its confirmation, in the transaction that locked it: resumes, or
 * decides the risk and moves it to processing/authorize; the decision's record goes last.
 */
async function claim(
  d: WebPaymentsDeps,
  who: Caller,
  tx: Tx,
  p: store.PaymentRow | undefined,
  writes: LastWrites,
): Promise<Claimed> {
  if (!p) throw notFound();
  const check = checkAction('confirm', stateOf(p), d.clock.nowMs());
  if (!check.ok) throw stateError(check.code, p.status);
  if (p.status === 'requires_action') return { next: 'sync', p };
  // A payment waiting on its 3-D Secure challenge finishes (above); a new charge does not
  // start while web payments are suspended.
  refuseIfSuspended(d, 'web_payments', who);
  if (check.resume) {
    const locked = { locked_until: lockUntil(d) };
    return {
      next: check.resume === 'capture' ? 'capture' : 'authorize',
      p: await lock(d, tx, p, locked),
    };
  }
  assert(p.card_token, 'confirmable payment without a card token');
  const risk = await decideWebPayment(d, tx, { ...p, card_token: p.card_token });
  if (risk.refused) return { next: 'refused', p, assessment: risk.assessment };
  const claimed = await transition(
    d,
    tx,
    p,
    {
      status: 'processing',
      step: 'authorize',
      attempt: p.attempt + 1,
      locked_until: lockUntil(d),
      next_action: null,
      last_payment_error: null,
      challenge_required: risk.challengeRequired,
      review_decision_id: risk.reviewDecisionId,
    },
    who,
    risk.assessment.decision === 'allow' ? {} : { risk: risk.assessment.decision },
  );
  recordWebDecision(d, tx, risk.assessment, p.id, writes);
  return { next: 'authorize', p: claimed };
}

async function lock(
  d: WebPaymentsDeps,
  tx: Parameters<typeof store.updatePayment>[0],
  p: store.PaymentRow,
  patch: store.PaymentPatch,
): Promise<store.PaymentRow> {
  return store.updatePayment(tx, p.id, patch, d.clock.now());
}

async function proceed(d: WebPaymentsDeps, who: Caller, c: Claimed): Promise<store.PaymentRow> {
  switch (c.next) {
    case 'authorize':
      return runAuthorize(d, who, c.p);
    case 'capture':
      return runCapture(d, who, c.p);
    case 'sync':
      return syncChallenge(d, who, c.p);
    case 'none':
    case 'refused':
      return c.p;
  }
}

/** Calls the card network (through the vault, which alone may decrypt the card). */
export async function runAuthorize(
  d: WebPaymentsDeps,
  who: Caller,
  p: store.PaymentRow,
): Promise<store.PaymentRow> {
  assert(p.card_token, 'confirming a payment without a card token');
  const origins = await d.merchantOrigins(p.merchant_id);
  let authz: Authorization;
  try {
    authz = await d.vault.authorize({
      token: p.card_token,
      amountMinor: p.amount,
      currency: p.currency,
      attemptId: p.id,
      idempotencyKey: authorizeKey(p),
      challenge: {
        notifyOrigin: origins[0] ?? d.publicOrigin,
        frameOrigins: origins,
        required: p.challenge_required,
      },
      actor: who.actor,
      source: who.source,
    });
  } catch (error) {
    return authorizeFailed(d, who, p, error);
  }
  return applyAuthorization(d, who, p.id, authz);
}

/** No answer (timeout): stays processing, free to retry. A vanished card: a new one is needed. */
async function authorizeFailed(
  d: WebPaymentsDeps,
  who: Caller,
  p: store.PaymentRow,
  error: unknown,
): Promise<store.PaymentRow> {
  const cardGone = vaultError.is(error, 'card_not_found', 'card_deleted');
  if (!isTransportError(error) && !cardGone) throw error;
  return d.sql.begin(async (tx) => {
    const now = await store.paymentById(tx, p.id);
    if (!now || now.status !== 'processing' || now.step !== 'authorize') return now ?? p;
    if (isTransportError(error)) {
      // The outcome is unknown; the same idempotency key will learn it on the next attempt.
      return transition(d, tx, now, { status: 'processing', locked_until: null }, who, {
        network: error.code,
      });
    }
    const lastError = {
      type: 'card_error' as const,
      code: 'payment_method_invalid',
      message: 'The card token no longer exists.',
    };
    return transition(
      d,
      tx,
      now,
      { status: 'requires_payment_method', card_token: null, last_payment_error: lastError },
      who,
    );
  });
}

/** After a challenge: reads how it ended (ending an abandoned one first). */
export async function syncChallenge(
  d: WebPaymentsDeps,
  who: Caller,
  p: store.PaymentRow,
): Promise<store.PaymentRow> {
  assert(p.authorization_id, 'requires_action without an authorization');
  let a = await d.acquirer.getAuthorization(p.authorization_id);
  const late = a.challenge && a.challenge.expiresAt.getTime() <= d.clock.nowMs();
  if (a.status === 'requires_challenge' && late) {
    await d.acquirer.expireChallenges();
    a = await d.acquirer.getAuthorization(p.authorization_id);
  }
  if (a.status === 'requires_challenge') return p;
  return applyAuthorization(d, who, p.id, a);
}

/**
 * Records an authorization's outcome. Compensation: if the hold was approved but this
 * transaction fails, the hold is voided at the acquirer, so no card is held for a payment
 * the database does not know as authorized; a later confirm then sees the void and asks for
 * a new payment method.
 */
async function applyAuthorization(
  d: WebPaymentsDeps,
  who: Caller,
  id: string,
  a: Authorization,
): Promise<store.PaymentRow> {
  let p: store.PaymentRow;
  try {
    p = await onPayment(d, id, (tx, now, w) => recordAuthorization(d, tx, who, now, a, w));
  } catch (error) {
    if (a.status === 'authorized') await compensateHold(d, a, error);
    throw error;
  }
  if (p.status === 'processing' && p.step === 'capture') return runCapture(d, who, p);
  return p;
}

async function compensateHold(d: WebPaymentsDeps, a: Authorization, cause: unknown) {
  d.log.error({ err: cause, authorization_id: a.id }, 'web payment not recorded; voiding hold');
  try {
    await d.acquirer.void({ idempotencyKey: `${a.id}:compensate`, authorizationId: a.id });
  } catch (error) {
    // The payment stays processing; the reconcile job retries and then sees the hold.
    d.log.error({ err: error, authorization_id: a.id }, 'could not void an unrecorded hold');
  }
}

async function recordAuthorization(
  d: WebPaymentsDeps,
  tx: Parameters<typeof store.updatePayment>[0],
  who: Caller,
  p: store.PaymentRow | undefined,
  a: Authorization,
  writes: LastWrites,
): Promise<store.PaymentRow> {
  assert(p, 'payment vanished');
  const awaiting =
    p.status === 'processing' ? p.step === 'authorize' : p.status === 'requires_action';
  // Another request recorded this outcome first; its answer stands.
  if (!awaiting) return p;
  const challengeUrl = a.challenge ? new URL(a.challenge.url, d.publicOrigin).href : null;
  const outcome = outcomeOf({ status: a.status, declineCode: a.declineCode, challengeUrl });
  const next = afterAuthorization(p.capture_method, outcome, p.review_decision_id !== null);
  const base = { authorization_id: a.id, next_action: null };
  switch (next.status) {
    case 'requires_action':
      if (p.status === 'requires_action') return p;
      return transition(
        d,
        tx,
        p,
        {
          ...base,
          status: 'requires_action',
          next_action: { type: 'three_d_secure', url: next.nextActionUrl },
        },
        who,
      );
    case 'requires_payment_method':
      return transition(
        d,
        tx,
        p,
        { ...base, status: next.status, last_payment_error: next.error },
        who,
      );
    case 'requires_capture':
      return recordHold(d, tx, who, p, { ...base, status: 'requires_capture' }, writes);
    case 'requires_review':
      // The hold, its review, their audit entries and the merchant's event: one transaction.
      return recordHold(d, tx, who, p, { ...base, status: next.status }, writes);
    case 'processing':
      if (next.step === 'capture') {
        const patch = { ...base, status: 'processing' as const, step: 'capture' as const };
        const capture = { capture_amount: p.amount, locked_until: lockUntil(d) };
        return recordHold(d, tx, who, p, { ...patch, ...capture }, writes);
      }
      if (p.status !== 'processing') return p;
      return transition(d, tx, p, { status: 'processing', locked_until: null }, who);
  }
}

/**
 * An approved authorization: the ledger holds its amount as a pending transfer. The
 * payment's row, event, audit entry (and review, when held for one) go first and the hold
 * last, its write leaving with COMMIT (postTransfers' `writes`): the merchant's and clearing
 * accounts, which all of a merchant's payments share, are locked for that write and COMMIT.
 * The ledger's read of those accounts locks neither, so it goes out with the payment's
 * statements, one round trip for all (a review is opened first: it needs the held row).
 */
async function recordHold(
  d: WebPaymentsDeps,
  tx: Parameters<typeof store.updatePayment>[0],
  who: Caller,
  p: store.PaymentRow,
  patch: store.PaymentPatch & { status: 'requires_capture' | 'requires_review' | 'processing' },
  writes: LastWrites,
): Promise<store.PaymentRow> {
  const validSeconds = d.limits.authorizationSecondsMax;
  const hold = authorizeTransfer(p, validSeconds);
  const recorded = transition(
    d,
    tx,
    p,
    {
      ...patch,
      pending_transfer_id: hold.id,
      authorization_expires_at: new Date(d.clock.nowMs() + validSeconds * 1000),
      amount_capturable: p.amount,
    },
    who,
  );
  if (patch.status === 'requires_review') {
    const next = await openReview(d, tx, await recorded);
    await postTransfers(d, tx, [hold], who, [], writes);
    return next;
  }
  const [next] = await allSent([recorded, postTransfers(d, tx, [hold], who, [], writes)]);
  return next;
}

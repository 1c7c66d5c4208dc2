import type { Tx } from '../db/index.ts';
import { assert } from '../lib/assert.ts';
import { vaultError } from '../vault/index.ts';
import {
  sourcePrefix,
  type OperatorActor,
  type Review,
  type ReviewHandlers,
} from '../risk/index.ts';
import { runVoid } from './cancel.ts';
import { runCapture } from './capture.ts';
import { lockUntil, transition, type Caller, type WebPaymentsDeps } from './context.ts';
import { checkoutError } from './errors.ts';
import { reviewEvent } from './review-hold.ts';
import * as store from './store.ts';

// Web payments held in the risk review queue. A `review` decision lets the card be
// authorized (the issuer reserves the funds) and then holds the payment in requires_review,
// whatever its capture method: the hold's row, the ledger's pending transfer, the review
// (risk.reviews.hold), their audit entries and the merchant's payment.review_opened event
// commit in the transaction that records the authorization (confirm.ts → review-hold.ts).
// Risk's queue calls back:
//   approve      — requires_review → requires_capture (manual capture) or processing/capture
//                  (automatic), in the review's approving transaction; payment.review_closed;
//   settle       — after commit: the capture, keyed by the payment id (acquirer key
//                  `<id>:capture`, ledger transfer ids derived from it), so racing or repeated
//                  approvals capture once; whoever claims the payment's lock runs it;
//   decline      — requires_review → processing/void (cancellation_reason review_declined);
//   afterDecline — after commit: the void at the card network, keyed `<id>:void`; the
//                  payment ends canceled (payment.canceled). Nothing was captured.
// An authorization lasts authorizationSecondsMax: a hold still waiting then is voided by the
// reconcile job like an uncaptured one (cancellation_reason expired) and its review closed
// (review-hold.ts, closeReview), as it is when the merchant cancels the payment. The
// reconcile job also finishes a capture or void whose answer was lost (processing, lock
// expired).

/** How risk's review queue approves and declines a held web payment. */
export function webPaymentReviewHandlers(d: WebPaymentsDeps): ReviewHandlers {
  return {
    approve: async (tx, review, who) => {
      const p = await heldPayment(tx, review);
      // An authorization past its validity cannot be captured; the reconcile job voids it.
      const expires = p.authorization_expires_at?.getTime() ?? 0;
      if (expires <= d.clock.nowMs()) throw checkoutError('payment_authorization_expired');
      const note = { review_id: review.id };
      const next =
        p.capture_method === 'manual'
          ? await transition(d, tx, p, { status: 'requires_capture' }, operator(p, who), note)
          : await transition(
              d,
              tx,
              p,
              {
                status: 'processing',
                step: 'capture',
                capture_amount: p.amount,
                locked_until: null,
              },
              operator(p, who),
              note,
            );
      await reviewEvent(d, tx, next, 'payment.review_closed', review.id, 'approved');
    },
    settle: (review, who) => finish(d, review, who, 'capture'),
    decline: async (tx, review, who) => {
      const p = await heldPayment(tx, review);
      const next = await transition(
        d,
        tx,
        p,
        {
          status: 'processing',
          step: 'void',
          locked_until: null,
          cancellation_reason: 'review_declined',
        },
        operator(p, who),
        { review_id: review.id },
      );
      await reviewEvent(d, tx, next, 'payment.review_closed', review.id, 'declined');
    },
    afterDecline: (review, who) => finish(d, review, who, 'void'),
    // A cancel or the expiry job locks the payment, then closes its review: same order here.
    lockSubject: async (tx, review) => void (await store.paymentById(tx, review.subjectId)),
  };
}

/**
 * After an approval or a decline commits: the capture or the void, by whoever claims the
 * payment's lock first. A concurrent approval finds it claimed and answers the state as it
 * is; a call whose answer was lost leaves it processing for the next approval or the
 * reconcile job, under the same idempotency key.
 */
async function finish(
  d: WebPaymentsDeps,
  review: Review,
  who: OperatorActor,
  step: 'capture' | 'void',
): Promise<Record<string, unknown>> {
  const claimed = await d.sql.begin(async (tx) => {
    const p = await store.paymentById(tx, review.subjectId);
    assert(p, `review ${review.id}: payment missing`);
    const free = p.locked_until === null || p.locked_until.getTime() <= d.clock.nowMs();
    if (p.status !== 'processing' || p.step !== step || !free) return { run: false, p };
    const lock = { locked_until: lockUntil(d) };
    return { run: true, p: await store.updatePayment(tx, p.id, lock, d.clock.now()) };
  });
  let p = claimed.p;
  if (claimed.run) {
    const caller = operator(p, who);
    p = step === 'capture' ? await runCapture(d, caller, p) : await runVoid(d, caller, p);
  }
  return {
    object: 'payment',
    id: p.id,
    status: p.status,
    amount_received: p.amount_received.toString(),
    cancellation_reason: p.cancellation_reason,
    failure_code: p.last_payment_error?.code ?? null,
  };
}

/** The payment of an open review, locked; it is requires_review until the review is decided. */
async function heldPayment(tx: Tx, review: Review): Promise<store.PaymentRow> {
  const p = await store.paymentById(tx, review.subjectId);
  assert(p && p.merchant_id === review.merchantId, `review ${review.id}: payment missing`);
  if (p.status !== 'requires_review') {
    // Its authorization expired or the merchant canceled it while the review was being
    // decided: the reconcile job or the cancel closes the review.
    throw checkoutError('payment_unexpected_state', { extra: { status: p.status } });
  }
  return p;
}

/** The operator who decided, acting for the payment's merchant (audit and ledger context). */
function operator(p: store.PaymentRow, who: OperatorActor): Caller {
  const caller: Caller = {
    merchantId: p.merchant_id,
    livemode: p.livemode,
    actor: { type: 'operator', id: who.operatorId },
  };
  if (who.source) caller.source = who.source;
  return caller;
}

/** How many of the card's web payments the review page lists. */
const CARD_PAYMENTS_ROWS_MAX = 10;

/**
 * What a reviewer sees of a held web payment beside its decision: the payment, its card
 * masked (brand and last 4 digits, never the number or its first digits), the shopper's
 * network (IPv4 /24 or IPv6 /64 of the address the hosted card fields saw), and the card's
 * latest web payments at any merchant (every token of the same number), newest first.
 */
export async function reviewFacts(d: WebPaymentsDeps, paymentId: string) {
  const p = await store.paymentRead(d.sql, paymentId);
  if (!p) throw checkoutError('web_payment_not_found', { param: 'id' });
  const token = p.card_token;
  const card = token
    ? await d.vault.getCard(token).catch((e: unknown) => {
        if (vaultError.is(e, 'card_not_found')) return undefined;
        throw e;
      })
    : undefined;
  const facts = token ? (await d.vault.cardRiskFacts([token])).get(token) : undefined;
  const tokens = token ? [token, ...(facts?.sameNumberTokens ?? [])] : [];
  const recent = await store.paymentsOfCards(d.sql, tokens, CARD_PAYMENTS_ROWS_MAX);
  return {
    id: p.id,
    merchant_id: p.merchant_id,
    livemode: p.livemode,
    amount: p.amount.toString(),
    currency: p.currency,
    capture_method: p.capture_method,
    status: p.status,
    created_at: p.created_at.toISOString(),
    card: card ? { brand: card.brand, last4: card.last4 } : null,
    shopper_network: facts?.shopperIp ? (sourcePrefix(facts.shopperIp) ?? null) : null,
    card_payments: recent.map((r) => ({
      id: r.id,
      merchant_id: r.merchant_id,
      amount: r.amount.toString(),
      currency: r.currency,
      status: r.status,
      created_at: r.created_at.toISOString(),
    })),
  };
}

export type WebPaymentReviewFacts = Awaited<ReturnType<typeof reviewFacts>>;

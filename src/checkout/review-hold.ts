import type { Tx } from '../db/index.ts';
import { assert } from '../lib/assert.ts';
import type { WebPaymentsDeps } from './context.ts';
import type * as store from './store.ts';
import { paymentView } from './views.ts';

// Where a web payment enters and leaves the review queue without an analyst: openReview in
// the transaction that records its authorization (the hold), closeReview in the one that
// cancels it while it waits (expired authorization, the merchant's cancel). review.ts has
// the analyst's side.

export const WEB_PAYMENT_REVIEW_KIND = 'web_payment';

type ReviewOutcome = 'approved' | 'declined' | 'expired' | 'canceled';

/** In the authorization's transaction: the payment was just moved to requires_review. */
export async function openReview(
  d: WebPaymentsDeps,
  tx: Tx,
  p: store.PaymentRow,
): Promise<store.PaymentRow> {
  assert(p.status === 'requires_review', `opening a review of a ${p.status} payment`);
  assert(p.review_decision_id, 'a held payment keeps the decision that held it');
  const review = await d.risk.reviews.hold(tx, {
    kind: WEB_PAYMENT_REVIEW_KIND,
    subjectId: p.id,
    merchantId: p.merchant_id,
    amountMinor: p.amount,
    currency: p.currency,
    decisionId: p.review_decision_id,
  });
  await reviewEvent(d, tx, p, 'payment.review_opened', review.id);
  return p;
}

/**
 * A held payment leaves requires_review without a decision (its authorization expired, the
 * merchant canceled it): in the caller's transaction, its review is closed and the merchant
 * told (payment.review_closed).
 */
export async function closeReview(
  d: WebPaymentsDeps,
  tx: Tx,
  p: store.PaymentRow,
  why: 'expired' | 'canceled',
): Promise<void> {
  const review = await d.risk.reviews.close(tx, p.id, `payment_${why}`);
  if (review) await reviewEvent(d, tx, p, 'payment.review_closed', review.id, why);
}

/** payment.review_opened / payment.review_closed: the payment, and the review's outcome. */
export async function reviewEvent(
  d: WebPaymentsDeps,
  tx: Tx,
  p: store.PaymentRow,
  type: 'payment.review_opened' | 'payment.review_closed',
  reviewId: string,
  outcome?: ReviewOutcome,
): Promise<void> {
  const review = outcome ? { id: reviewId, open: false, outcome } : { id: reviewId, open: true };
  await d.webhooks.emitEvent(tx, {
    merchantId: p.merchant_id,
    type,
    object: { ...paymentView(p), review },
    orderKey: p.id,
  });
}

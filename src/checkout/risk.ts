import type { Tx } from '../db/index.ts';
import { assert } from '../lib/assert.ts';
import { NO_CUSTOMER, type Assessment } from '../risk/index.ts';
import type { LastWrites, WebPaymentsDeps } from './context.ts';
import { checkoutError } from './errors.ts';
import type * as store from './store.ts';

// The risk decision on a web payment, taken when a confirmation starts a new authorization
// (never when it resumes one). A web shop's shopper is no Kinko customer, so the decision is
// keyed on the card (the vault's id of its number: velocity per card over 1 minute, 1 hour,
// 1 day), the merchant and the shopper's network (the address the hosted card fields saw),
// and recorded with the payment's id as subject.
// - block: refused with payment_blocked_by_risk before the card network is called;
// - step_up: the issuer is asked for a 3-D Secure challenge (challenge_required);
// - review: the card is authorized as usual (the issuer reserves the funds) and the payment
//   is then held in requires_review for an analyst, whatever its capture method: the
//   decision's id is kept on the payment (review_decision_id) until the authorization's
//   outcome is recorded, which opens the review (review.ts).

type WebRiskVerdict =
  | {
      refused: false;
      assessment: Assessment;
      challengeRequired: boolean;
      /** The recorded decision that asked for a review; null when none did. */
      reviewDecisionId: string | null;
    }
  | { refused: true; assessment: Assessment };

export async function decideWebPayment(
  d: WebPaymentsDeps,
  tx: Tx,
  p: store.PaymentRow & { card_token: string },
): Promise<WebRiskVerdict> {
  const card = (await d.vault.cardRiskFacts([p.card_token], tx)).get(p.card_token);
  const assessment = await d.risk.assess(
    {
      kind: 'web_payment',
      customerId: NO_CUSTOMER,
      merchantId: p.merchant_id,
      cardToken: p.card_token,
      cardFingerprint: card?.numberId,
      // The shopper's address as the hosted card fields saw it (the API call comes from the
      // merchant's server); none for a card the merchant sent server to server.
      sourceIp: card?.shopperIp ?? undefined,
      amount: p.amount,
      currency: p.currency,
    },
    tx,
  );
  if (assessment.decision === 'block') return { refused: true, assessment };
  const challengeRequired = assessment.decision === 'step_up';
  const review = assessment.decision === 'review';
  assert(!review || assessment.record, 'a review decision is recorded');
  const reviewDecisionId = review ? (assessment.record?.row.id ?? null) : null;
  return { refused: false, assessment, challengeRequired, reviewDecisionId };
}

/**
 * Records a decision that let the payment through, last in the confirming transaction (after
 * the payment's row, event and audit entry): its velocity counters and tally are rows every
 * payment with the same card, merchant or network adds to, so they are sent unawaited and
 * leave with COMMIT (withLastWrites), locked for that statement and COMMIT only.
 */
export function recordWebDecision(
  d: WebPaymentsDeps,
  tx: Tx,
  a: Assessment,
  paymentId: string,
  writes: LastWrites,
): void {
  const sent = d.risk.record(tx, [{ a, subjectId: paymentId }]);
  // Observed at once: withLastWrites awaits it, but the transaction may throw first.
  sent.catch(() => undefined);
  writes.push(sent);
}

/** After the refusing transaction rolled back: the decision is kept, the merchant told. */
export async function refuseWebPayment(
  d: WebPaymentsDeps,
  p: store.PaymentRow,
  a: Assessment,
): Promise<never> {
  await d.risk.recordRefusal(a, p.id);
  throw checkoutError('payment_blocked_by_risk', { extra: { reason: a.words } });
}

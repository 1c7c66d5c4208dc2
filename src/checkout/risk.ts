import type { Tx } from '../db/index.ts';
import { NO_CUSTOMER, type Assessment } from '../risk/index.ts';
import type { WebPaymentsDeps } from './context.ts';
import { checkoutError } from './errors.ts';
import type * as store from './store.ts';

// The risk decision on a web payment, taken when a confirmation starts a new authorization
// (never when it resumes one). A web shop's shopper is no Kinko customer, so the decision is
// keyed on the card (the vault's id of its number: velocity per card over 1 minute, 1 hour,
// 1 day), the merchant and the shopper's network (the address the hosted card fields saw),
// and recorded with the payment's id as subject.
// - block: refused with payment_blocked_by_risk before the card network is called;
// - step_up: the issuer is asked for a 3-D Secure challenge (challenge_required);
// - review: the review queue holds wallet top-ups; a web payment has no hold before its
//   authorization yet, so review asks for the challenge too, like step_up.

type WebRiskVerdict =
  | { refused: false; assessment: Assessment; challengeRequired: boolean }
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
  await d.risk.record(tx, [{ a: assessment, subjectId: p.id }]);
  const challengeRequired = assessment.decision === 'step_up' || assessment.decision === 'review';
  return { refused: false, assessment, challengeRequired };
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

import { cancelPayment } from './cancel.ts';
import { capturePayment } from './capture.ts';
import { confirmPayment } from './confirm.ts';
import type { WebPaymentsDeps } from './context.ts';
import { createPayment, getPayment, listPage, updatePayment } from './payments.ts';
import { reconcile } from './reconcile.ts';
import { createRefund, getRefund } from './refunds.ts';
import { reviewFacts, webPaymentReviewHandlers } from './review.ts';
import { WEB_PAYMENT_REVIEW_KIND } from './review-hold.ts';
import type { WebPayments } from './service.ts';
import type { BalanceTransactionRow, PaymentRow, RefundRow } from './store.ts';
import {
  balanceTransactionView,
  paymentView,
  refundView,
  type BalanceTransactionView,
  type PaymentView,
  type RefundView,
} from './views.ts';

// Checkout: the card gateway for merchants' web shops — card payments through the merchant
// API (/v1/payments, /v1/refunds, /v1/balance_transactions). It charges cards the vault holds
// through the acquirer and moves the money in the ledger; wallet and register payments are
// the payments module's.
//
// Glossary
// - payment: one charge a merchant wants (pay_…), with amount and currency, that moves through
//   requires_payment_method → requires_confirmation → (requires_action) → processing →
//   (requires_review) → requires_capture → succeeded, or to canceled (state.ts has the
//   whole table).
// - payment method: the vault's card token (card_…) from the hosted card fields; never card data.
// - confirm: authorize the card (3-D Secure when the issuer asks) for the payment's amount.
// - authorization: the acquirer's hold on the card; in the ledger a pending transfer
//   card_clearing → merchant that expires with it (authorizationSecondsMax).
// - capture: take all or part of the authorization (post of the pending transfer; the rest is
//   released); automatic capture does it right after an approved authorization.
// - cancel: void the authorization (void of the pending transfer); nothing is ever charged.
// - refund: money back to the card (ref_…), partial and several, never more than captured;
//   in the ledger merchant → card_clearing.
// - balance transaction: one posted movement on the merchant's ledger account (txn_…).
// - step / lock: which card network call a processing payment makes, and until when one
//   request holds it; a timeout leaves the payment processing for a retry with the same key.
// - reconcile: the background job that finishes what a request could not (reconcile.ts).
// - risk decision: taken before a new authorization (risk.ts): block refuses it
//   (payment_blocked_by_risk), step_up asks the issuer for a 3-D Secure challenge, review
//   holds the authorized payment for an analyst.
// - requires_review (held): authorized, funds reserved, nothing captured, until the risk
//   review queue approves (captured, or requires_capture for manual capture) or declines it
//   (voided, canceled); capture and confirm answer payment_under_review (review.ts).

export { webPaymentRoutes } from './routes.ts';
export { WEB_PAYMENT_REVIEW_KIND } from './review-hold.ts';
export type { WebPayments } from './service.ts';

export function createWebPayments(deps: WebPaymentsDeps): WebPayments {
  const d = deps;
  d.risk.reviews.register(WEB_PAYMENT_REVIEW_KIND, webPaymentReviewHandlers(d));
  return {
    create: (who, input) => createPayment(d, who, input),
    update: (who, id, input) => updatePayment(d, who, id, input),
    confirm: (who, id) => confirmPayment(d, who, id),
    capture: (who, id, amount) => capturePayment(d, who, id, amount),
    cancel: (who, id, reason) => cancelPayment(d, who, id, reason),
    get: (who, id) => getPayment(d, who, id),
    list: (who, q) =>
      listPage<PaymentRow, PaymentView>(d, who, 'checkout_payments', q, paymentView),
    createRefund: (who, input) => createRefund(d, who, input),
    getRefund: (who, id) => getRefund(d, who, id),
    listRefunds: (who, q) =>
      listPage<RefundRow, RefundView>(d, who, 'checkout_refunds', q, refundView),
    listBalanceTransactions: (who, q) =>
      listPage<BalanceTransactionRow, BalanceTransactionView>(
        d,
        who,
        'payments_balance_transactions',
        q,
        balanceTransactionView,
      ),
    reviewFacts: (paymentId) => reviewFacts(d, paymentId),
    reconcile: () => reconcile(d),
  };
}

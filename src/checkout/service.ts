import type { ListQuery, Page } from '../http/index.ts';
import type { CancellationReason } from './cancel.ts';
import type { Caller } from './context.ts';
import type { CreatePaymentInput, UpdatePaymentInput } from './payments.ts';
import type { ReconcileResult } from './reconcile.ts';
import type { CreateRefundInput } from './refunds.ts';
import type { WebPaymentReviewFacts } from './review.ts';
import type { BalanceTransactionView, PaymentView, RefundView } from './views.ts';

// What the checkout module offers the rest of Kinko: createWebPayments (index.ts) builds it,
// and the routes take it as a parameter from here, so no file of the module imports index.ts.

export interface WebPayments {
  create(who: Caller, input: CreatePaymentInput): Promise<PaymentView>;
  update(who: Caller, id: string, input: UpdatePaymentInput): Promise<PaymentView>;
  confirm(who: Caller, id: string): Promise<PaymentView>;
  capture(who: Caller, id: string, amountToCapture?: bigint): Promise<PaymentView>;
  cancel(who: Caller, id: string, reason?: CancellationReason): Promise<PaymentView>;
  get(who: Caller, id: string): Promise<PaymentView>;
  list(who: Caller, query: ListQuery): Promise<Page<PaymentView>>;
  createRefund(who: Caller, input: CreateRefundInput): Promise<RefundView>;
  getRefund(who: Caller, id: string): Promise<RefundView>;
  listRefunds(who: Caller, query: ListQuery): Promise<Page<RefundView>>;
  listBalanceTransactions(who: Caller, query: ListQuery): Promise<Page<BalanceTransactionView>>;
  /** A held payment's facts for its reviewer (review.ts): masked card, network, history. */
  reviewFacts(paymentId: string): Promise<WebPaymentReviewFacts>;
  /** The background job: run every few seconds (main.ts). */
  reconcile(): Promise<ReconcileResult>;
}

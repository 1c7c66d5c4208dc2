import { assert } from '../lib/assert.ts';
import type { BalanceTransactionRow, RefundRow, ViewedPayment } from './store.ts';

// The API's JSON objects, pure. Amounts are bigint inside and JSON integers outside: the
// tables keep them ≤ 2^53 − 1, so the conversion is exact (asserted, never rounded).

const seconds = (d: Date) => Math.floor(d.getTime() / 1000);

function amountJson(a: bigint): number {
  assert(a >= -BigInt(Number.MAX_SAFE_INTEGER) && a <= BigInt(Number.MAX_SAFE_INTEGER), 'amount');
  return Number(a);
}

export function paymentView(p: ViewedPayment) {
  return {
    id: p.id,
    object: 'payment' as const,
    amount: amountJson(p.amount),
    amount_capturable: amountJson(p.amount_capturable),
    amount_received: amountJson(p.amount_received),
    amount_refunded: amountJson(p.amount_refunded),
    currency: p.currency,
    status: p.status,
    capture_method: p.capture_method,
    payment_method: p.card_token,
    description: p.description,
    statement_descriptor: p.statement_descriptor,
    metadata: p.metadata,
    next_action: p.next_action,
    last_payment_error: p.last_payment_error,
    cancellation_reason: p.cancellation_reason,
    livemode: p.livemode,
    created: seconds(p.created_at),
  };
}

export type PaymentView = ReturnType<typeof paymentView>;

export function refundView(r: RefundRow) {
  return {
    id: r.id,
    object: 'refund' as const,
    payment: r.payment_id,
    amount: amountJson(r.amount),
    currency: r.currency,
    status: r.status,
    reason: r.reason,
    failure_reason: r.failure_reason,
    metadata: r.metadata,
    livemode: r.livemode,
    created: seconds(r.created_at),
  };
}

export type RefundView = ReturnType<typeof refundView>;

export function balanceTransactionView(b: BalanceTransactionRow) {
  return {
    id: b.id,
    object: 'balance_transaction' as const,
    type: b.type,
    source: b.source_id,
    amount: amountJson(b.amount),
    currency: b.currency,
    ledger_transfer: b.transfer_id,
    livemode: b.livemode,
    created: seconds(b.created_at),
  };
}

export type BalanceTransactionView = ReturnType<typeof balanceTransactionView>;

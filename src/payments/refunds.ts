import { allSent, withLastWrites } from '../db/index.ts';
import { assert } from '../lib/assert.ts';
import { publicId } from '../lib/ids.ts';
import { accountIdFor } from './accounts.ts';
import {
  enqueueReceipts,
  ensureAccounts,
  entry,
  WALLET_CURRENCY,
  type PaymentsDeps,
  type Source,
} from './context.ts';
import { transferIdFor, TRANSFER_CODES } from './ids.ts';
import * as store from './store.ts';
import { paymentsError } from './errors.ts';
import { merchantsError } from '../merchants/index.ts';

// Refunds of wallet payments (code or store QR): partial and several, never more in total
// than was paid; merchant → wallet, in one transaction with the refund row, audit and the
// receipt. The payment row is locked, so concurrent refunds are checked one after another.

interface RefundView {
  id: string;
  object: 'refund';
  payment_id: string;
  amount: string;
  currency: string;
  status: 'succeeded';
  reason: string | null;
  created_at: string;
}

export const refundView = (r: store.RefundRow): RefundView => ({
  id: r.id,
  object: 'refund',
  payment_id: r.payment_id,
  amount: r.amount_minor.toString(),
  currency: r.currency,
  status: 'succeeded',
  reason: r.reason,
  created_at: r.created_at.toISOString(),
});

export interface RefundInput {
  paymentId: string;
  amount: bigint;
  reason?: string | undefined;
  /** Only payments taken at these stores (a store manager's, or the register's own). */
  onlyStores?: readonly string[] | null | undefined;
}

export type RefundActor = { type: 'api_key' | 'terminal' | 'merchant_person'; id: string };

export async function refundPayment(
  deps: PaymentsDeps,
  who: { merchantId: string; livemode: boolean },
  input: RefundInput,
  actor: RefundActor,
  source: Source,
): Promise<RefundView> {
  // A test key must never move live money, here no more than at the register.
  if (!who.livemode) throw paymentsError('livemode_required');
  const { merchantId } = who;
  deps.switches.refuse({ operation: 'refunds', merchantId, source: source.ip });
  await ensureAccounts(deps, [{ kind: 'merchant', owner: merchantId }]);
  return withLastWrites((writes) =>
    deps.sql.begin(async (tx) => {
      const p = await store.paymentById(tx, input.paymentId, true);
      if (!p || p.merchant_id !== merchantId) throw paymentsError('payment_not_found');
      if (input.onlyStores && !input.onlyStores.includes(p.store_id)) {
        throw merchantsError('person_store_denied');
      }
      if (p.refunded_minor + input.amount > p.amount_minor) {
        throw paymentsError('refund_exceeds_payment', {
          param: 'amount',
          extra: { refundable: (p.amount_minor - p.refunded_minor).toString() },
        });
      }
      // A deleted account's wallet can never be spent or paid out: money refunded into it
      // would be lost to the customer and gone from the merchant.
      if (!(await deps.identity.lockOpenForCredit(tx, p.customer_id))) {
        throw paymentsError('wallet_closed');
      }
      const id = publicId('pre', 16);
      const row: store.RefundRow = {
        id,
        payment_id: p.id,
        merchant_id: p.merchant_id,
        customer_id: p.customer_id,
        amount_minor: input.amount,
        currency: p.currency,
        transfer_id: transferIdFor('refund', id),
        reason: input.reason ?? null,
        created_at: deps.clock.now(),
      };
      // The refund's rows, receipts and audit entry first; the ledger (the merchant's account,
      // which all its payments and refunds post to) last, its write leaving with COMMIT, so
      // that account is locked for the write and COMMIT only.
      const [, , , , , [result]] = await allSent([
        store.insertRefund(tx, row),
        store.insertBalanceTransactions(tx, [refundMovement(row)]),
        store.addRefunded(tx, p.id, input.amount),
        enqueueReceipts(deps, tx, 'refund', [id]),
        deps.audit.append(tx, [
          entry('payments.refund.succeeded', actor, { type: 'refund', id }, source, {
            payment_id: p.id,
            amount: input.amount.toString(),
            merchant_id: p.merchant_id,
          }),
        ]),
        deps.ledger.createTransfersInTx(tx, [refundTransfer(row)], {
          actor,
          source,
          writesInto: writes,
        }),
      ]);
      assert(result?.result === 'ok', `refund transfer ${id}: ${result?.result}`);
      return refundView(row);
    }),
  );
}

/** The refund's transfer: the merchant's account → the customer's wallet. */
function refundTransfer(r: store.RefundRow) {
  return {
    id: r.transfer_id,
    debitAccountId: accountIdFor('merchant', r.merchant_id, WALLET_CURRENCY),
    creditAccountId: accountIdFor('customer_wallet', r.customer_id, WALLET_CURRENCY),
    amount: r.amount_minor,
    currency: r.currency,
    code: TRANSFER_CODES.refund,
    userData: `refund:${r.id}`,
  };
}

/** The refund's line in the merchant's balance transactions (negative: money leaves). */
function refundMovement(r: store.RefundRow): store.WalletBalanceTransaction {
  return {
    id: publicId('txn', 16),
    merchant_id: r.merchant_id,
    type: 'wallet_refund',
    source_id: r.id,
    transfer_id: r.transfer_id,
    amount: -r.amount_minor,
    currency: r.currency,
    created_at: r.created_at,
  };
}

/**
 * A wallet payment as the merchant API shows it (GET and lists of /v1/code_payments). It
 * names no customer: a wallet's id is the same at every merchant (and, a UUIDv7, dates the
 * sign-up), so showing it would let merchants follow one customer across shops.
 */
export function merchantPaymentView(p: store.PaymentRow) {
  return {
    id: p.id,
    object: 'code_payment' as const,
    method: p.method,
    status: 'succeeded' as const,
    amount: p.amount_minor.toString(),
    amount_refunded: p.refunded_minor.toString(),
    currency: p.currency,
    merchant_id: p.merchant_id,
    store_id: p.store_id,
    terminal_id: p.terminal_id,
    risk: { decision: p.risk_decision, reasons: p.risk_reasons },
    livemode: true,
    created_at: p.created_at.toISOString(),
  };
}

/** A test-mode key sees no wallet payment: they are all live. */
export async function getPayment(
  deps: PaymentsDeps,
  who: { merchantId: string; livemode: boolean },
  id: string,
) {
  const p = who.livemode ? await store.paymentById(deps.sql, id) : undefined;
  if (!p || p.merchant_id !== who.merchantId) throw paymentsError('payment_not_found');
  const refunds = await store.refundsOf(deps.sql, id);
  return { ...merchantPaymentView(p), refunds: { data: refunds.map(refundView) } };
}

import { parseStorePayload } from '../codes/index.ts';
import { allSent, withLastWrites } from '../db/index.ts';
import { publicId } from '../lib/ids.ts';
import { refusalOf } from '../risk/index.ts';
import {
  enqueueReceipts,
  ensureAccounts,
  entry,
  WALLET_CURRENCY,
  type PaymentsDeps,
  type Source,
} from './context.ts';
import { transferIdFor } from './ids.ts';
import { paymentJson, paymentMovement, paymentTransfer } from './redeem.ts';
import * as store from './store.ts';
import { accountFacts } from './wallet.ts';
import { paymentsError } from './errors.ts';

// Store QR payments (MPM): the customer scans the store's EMVCo payload and pays it from a
// bound, stepped-up device. The payload must be a valid Kinko store payload (structure and
// CRC), and its merchant and store must exist and be active; a dynamic payload's amount must
// be the amount paid, and the payload's currency the currency paid. A test-mode merchant's
// store is refused (store_test_mode): wallet payments are live only.

/** The store a scanned payload names, if it is a valid Kinko payload of an active store. */
async function storeOf(deps: PaymentsDeps, payload: string, amount: bigint, currency: string) {
  const parsed = parseStorePayload(payload);
  if (!parsed.ok) {
    throw paymentsError('store_payload_invalid', {
      param: 'payload',
      extra: { reason: parsed.reason },
    });
  }
  const kinko = parsed.fields.kinko;
  if (!kinko) throw paymentsError('store_not_kinko', { param: 'payload' });
  if (parsed.fields.amount !== null && BigInt(parsed.fields.amount) !== amount) {
    throw paymentsError('store_payload_invalid', { param: 'amount', extra: { reason: 'amount' } });
  }
  // The store asks for its currency (ID 53): a wallet in yen does not pay a QR in dollars.
  if (parsed.fields.currency !== currency) {
    throw paymentsError('store_payload_invalid', {
      param: 'currency',
      extra: { reason: 'currency' },
    });
  }
  const merchant = await deps.merchants.getMerchant(kinko.merchantId).catch(() => undefined);
  const shop = await deps.merchants
    .getStore(kinko.merchantId, kinko.storeId)
    .catch(() => undefined);
  if (!merchant || !shop || merchant.status !== 'active') throw paymentsError('store_unavailable');
  // A payload names only the store and anyone can make one (`kinko qr make`): a test-mode
  // merchant, which can neither see nor refund wallet payments, must not take a wallet's
  // real money. Refused here, before risk or any write.
  if (!merchant.livemode) throw paymentsError('store_test_mode', { param: 'payload' });
  return { merchant, shop };
}

export async function payStore(
  deps: PaymentsDeps,
  who: { customerId: string; deviceId: string | null; strongAuthAtMs: number | null },
  input: { payload: string; amount: bigint; currency: string },
  source: Source,
) {
  if (input.currency !== WALLET_CURRENCY) throw paymentsError('currency_unsupported');
  const { merchant, shop } = await storeOf(deps, input.payload, input.amount, input.currency);
  const at = { merchantId: merchant.id, storeId: shop.id, source: source.ip };
  deps.switches.refuse({ operation: 'store_qr_payments', ...who, ...at });
  const assessment = await decide(deps, who, input, merchant.id, shop.id, source);
  await ensureAccounts(deps, [{ kind: 'merchant', owner: merchant.id }]);
  const id = publicId('pay', 16);
  const row: store.PaymentRow = {
    id,
    method: 'mpm',
    merchant_id: merchant.id,
    store_id: shop.id,
    terminal_id: null,
    customer_id: who.customerId,
    device_id: who.deviceId,
    amount_minor: input.amount,
    refunded_minor: 0n,
    currency: input.currency,
    transfer_id: transferIdFor('payment', id),
    risk_decision: assessment.decision,
    risk_reasons: assessment.reasons,
    created_at: deps.clock.now(),
  };
  // The payment's rows, receipts and audit entry first; then the risk record (the store's and
  // the network's velocity counters) and the ledger's lock (the merchant's account, which
  // every payment at its stores posts to), the ledger's write leaving with COMMIT: those
  // shared rows are locked for that write and COMMIT only. A refused debit throws before
  // COMMIT and rolls all back.
  const actor = { type: 'customer' as const, id: who.customerId };
  return withLastWrites((writes) =>
    deps.sql.begin(async (tx) => {
      const [, , , , , [result]] = await allSent([
        store.insertPayments(tx, [row]),
        store.insertBalanceTransactions(tx, [paymentMovement(row)]),
        enqueueReceipts(deps, tx, 'payment', [id]),
        deps.audit.append(tx, [
          entry('payments.store_payment.succeeded', actor, { type: 'payment', id }, source, {
            merchant_id: merchant.id,
            store_id: shop.id,
            amount: input.amount.toString(),
          }),
        ]),
        deps.risk.record(tx, [{ a: assessment, subjectId: id }]),
        deps.ledger.createTransfersInTx(tx, [paymentTransfer(row)], {
          actor,
          source,
          writesInto: writes,
        }),
      ]);
      if (result?.result !== 'ok') throw paymentsError('insufficient_funds');
      return { ...paymentJson(row), object: 'store_payment' as const, store_name: shop.name };
    }),
  );
}

/** Risk for a store payment: refused (and the refusal recorded) or the assessment to store. */
async function decide(
  deps: PaymentsDeps,
  who: { customerId: string; deviceId: string | null; strongAuthAtMs: number | null },
  input: { amount: bigint; currency: string },
  merchantId: string,
  storeId: string,
  source: Source,
) {
  const facts = await accountFacts(deps, who.customerId);
  const assessment = await deps.risk.assess({
    kind: 'store_payment',
    customerId: who.customerId,
    deviceId: who.deviceId ?? undefined,
    merchantId,
    storeId,
    sourceIp: source.ip,
    amount: input.amount,
    currency: input.currency,
    account: facts,
    frozen: facts.frozen,
  });
  const fresh =
    who.strongAuthAtMs !== null &&
    deps.clock.nowMs() - who.strongAuthAtMs <= deps.limits.riskStepUpSecondsMax * 1000;
  // A store payment is not held: the customer is at the counter. Review asks for a fresh
  // strong factor, like step_up, and is flagged; money enters a wallet only through top-ups,
  // which are held.
  const refusal = refusalOf(
    assessment.decision === 'review' ? { ...assessment, decision: 'step_up' } : assessment,
    fresh,
  );
  if (refusal) {
    await deps.risk.recordRefusal(assessment);
    throw refusal;
  }
  return assessment;
}

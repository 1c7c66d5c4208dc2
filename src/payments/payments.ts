import QRCode from 'qrcode';
import { buildStorePayload } from '../codes/index.ts';
import { deleteAccount } from './account-deletion.ts';
import { MicroBatcher } from './batcher.ts';
import { linkCard, listCards } from './cards.ts';
import type { PaymentsDeps, Source } from './context.ts';
import { issueCode } from './issue.ts';
import {
  newRedeemPhases,
  redeemBatch,
  type Answer,
  type RedeemPhases,
  type RedeemRequest,
} from './redeem.ts';
import { createCodeWatch } from './code-watch.ts';
import { receiptsWorker, sendReceipts, sendReceiptsOnce } from './receipts.ts';
import { listWalletPage, type WalletListQuery, type WalletReader } from './lists.ts';
import {
  getPayment,
  merchantPaymentView,
  refundPayment,
  refundView,
  type RefundActor,
  type RefundInput,
} from './refunds.ts';
import * as store from './store.ts';
import { payStore } from './store-payments.ts';
import { recentMovements, TOPUP_REVIEW_KIND, topupReviewHandlers } from './topup-reviews.ts';
import { continueTopup, createTopup, resumeTopup, topupView, type Customer } from './topups.ts';
import { accountFacts, history, walletView } from './wallet.ts';
import { paymentsError } from './errors.ts';

// The payments service: one object per process, built by main.ts from the modules it
// orchestrates. Redemptions at the register go through the micro-batcher.

export type Payments = ReturnType<typeof createPayments>;

/** The register's micro-batcher, and where its batches' time goes (redeem.ts). */
function redeemBatcher(deps: PaymentsDeps) {
  const { limits } = deps;
  const phases = newRedeemPhases();
  const batcher = new MicroBatcher<RedeemRequest, Answer>(
    (reqs, committing) => redeemBatch(deps, reqs, phases, committing),
    {
      windowMs: limits.batchWindowMs,
      sizeMax: limits.batchSizeMax,
      inFlightMax: limits.batchesInFlightMax,
      committingMax: limits.batchesCommittingMax,
    },
  );
  return { batcher, phases };
}

export function createPayments(deps: PaymentsDeps) {
  const { limits } = deps;
  const { batcher, phases } = redeemBatcher(deps);
  deps.risk.reviews.register(
    TOPUP_REVIEW_KIND,
    topupReviewHandlers(deps, (t, source) => continueTopup(deps, t, source)),
  );
  return {
    /** config.limits.payments: the routes' schemas and waits are bounded by them. */
    limits,
    wallet: (customerId: string) => walletView(deps, customerId),
    history: (customerId: string, page: { cursor?: string; limit?: number }) =>
      history(deps, customerId, page),
    linkCard: (who: Customer, token: string, source: Source) => linkCard(deps, who, token, source),
    listCards: (customerId: string) => listCards(deps, customerId),
    createTopup: (
      who: Customer,
      input: { amount: bigint; currency: string; cardToken: string },
      source: Source,
    ) => createTopup(deps, who, input, source),
    resumeTopup: (customerId: string, id: string, source: Source) =>
      resumeTopup(deps, customerId, id, source),
    getTopup: async (customerId: string, id: string) => {
      const t = await store.topupById(deps.sql, id);
      if (!t || t.customer_id !== customerId) throw paymentsError('topup_not_found');
      return topupView(t);
    },
    setLimits: async (
      customerId: string,
      own: Parameters<PaymentsDeps['risk']['setOwnLimits']>[1],
    ) => deps.risk.setOwnLimits(customerId, own, await accountFacts(deps, customerId)),
    issueCode: (who: { customerId: string; deviceId: string }, source: Source) =>
      issueCode(deps, who, source),
    /** One register redemption; answered when its micro-batch commits. */
    redeem: (req: RedeemRequest) => batcher.submit(req),
    batcherStats: () => ({ ...batcher.load, ...batcher.stats }), // for metrics and benchmarks
    /** Where the register batches' time went so far (redeem.ts), for benchmarks. */
    redeemPhases: (): RedeemPhases => ({ ...phases }),
    payStore: (
      who: Customer,
      input: { payload: string; amount: bigint; currency: string },
      source: Source,
    ) => payStore(deps, who, input, source),
    refund: (who: WalletReader, input: RefundInput, actor: RefundActor, source: Source) =>
      refundPayment(deps, who, input, actor, source),
    ...walletLists(deps),
    /** The customer's latest top-ups and payments, for an operator deciding a review. */
    recentMovements: (customerId: string) => recentMovements(deps, customerId),
    storeQr: (merchantId: string, storeId: string) => storeQr(deps, merchantId, storeId),
    ...receiptParts(deps),
    /** Account deletion, orchestrated: the balance must be zero; cards shredded. */
    deleteAccount: (customerId: string, source: Source) => deleteAccount(deps, customerId, source),
    /** A new waiting room for "the register charged my code" (one per server). */
    createCodeWatch: () => createCodeWatch(deps),
    /** Deletes register idempotency keys past retention and codes expired a day ago. */
    purge: () => {
      const now = deps.clock.nowMs();
      return store.purge(
        deps.sql,
        new Date(now - limits.idempotencySecondsRetention * 1000),
        new Date(now - 24 * 3600 * 1000),
      );
    },
  };
}

/** Receipts: sent from the outbox by the worker, or at once. */
function receiptParts(deps: PaymentsDeps) {
  return {
    sendReceiptsOnce: () => sendReceiptsOnce(deps),
    /** The receipts of these outbox events, now, in one transaction (as the worker does). */
    sendReceipts: (payloads: readonly unknown[]) => sendReceipts(deps, payloads),
    /** Starts the receipts worker; the returned stop() waits for it. */
    startReceiptsWorker: (options: { pollMs?: number } = {}) => {
      const abort = new AbortController();
      const running = receiptsWorker(deps, { signal: abort.signal, ...options });
      return async () => {
        abort.abort();
        await running;
      };
    },
  };
}

/** What the merchant API reads of wallet payments. */
function walletLists(deps: PaymentsDeps) {
  return {
    getPayment: (who: WalletReader, id: string) => getPayment(deps, who, id),
    /** Wallet payments (code and store QR), paged as web payments are. */
    listPayments: (who: WalletReader, q: WalletListQuery) =>
      listWalletPage(deps, who, 'payments_payments', q, merchantPaymentView),
    /** Refunds of wallet payments, paged as web refunds are. */
    listRefunds: (who: WalletReader, q: WalletListQuery) =>
      listWalletPage(deps, who, 'payments_refunds', q, refundView),
  };
}

/** The store's static EMVCo MPM payload and its QR image (PNG data URL). */
async function storeQr(deps: PaymentsDeps, merchantId: string, storeId: string) {
  const [merchant, shop] = await Promise.all([
    deps.merchants.getMerchant(merchantId),
    deps.merchants.getStore(merchantId, storeId),
  ]);
  const ascii = (text: string, max: number) =>
    (
      text
        .normalize('NFKD')
        .replace(/[^\x20-\x7e]/g, '')
        .trim() || 'KINKO STORE'
    ).slice(0, max);
  const payload = buildStorePayload({
    merchantId,
    storeId,
    merchantName: ascii(shop.name || merchant.name, 25),
    merchantCity: ascii(shop.city, 15),
    postalCode: shop.postal_code,
    mcc: shop.mcc,
    currency: 'JPY',
  });
  const qr = await QRCode.toDataURL(payload, { errorCorrectionLevel: 'M', margin: 4 });
  return { object: 'store_qr', store_id: storeId, payload, qr_png: qr };
}

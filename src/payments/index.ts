import type { FastifyInstance, FastifyRequest, preHandlerAsyncHookHandler } from 'fastify';
import type { Idempotency } from '../http/index.ts';
import type { Identity } from '../identity/index.ts';
import type { MerchantPrincipal, Merchants, Scope } from '../merchants/index.ts';
import { registerRoutes } from './register-routes.ts';
import type { Payments } from './payments.ts';
import { walletRoutes } from './wallet-routes.ts';

// Payments: the only orchestrator — wallet, top-ups, payment codes at the register (CPM),
// store QR payments (MPM), refunds and receipts. It moves money in the ledger, charges cards
// through the vault and the acquirer, asks risk before money moves, and writes audit and
// outbox in the same transaction as each change.
//
// Glossary
// - wallet: the customer's customer_wallet ledger account (JPY), created on first need.
// - top-up: a card charge (authorize, 3-D Secure if asked, capture) followed, only on
//   success, by a credit card_clearing → wallet; keyed by its id (tu_…) end to end.
// - payment code: 22 digits the wallet shows (CPM); single use, ≤ 5 minutes, stored as HMAC.
// - redemption: the register charging a code: POST /v1/code_payments.
// - micro-batch: concurrent redemptions committed together in one transaction (batcher.ts).
// - payment: wallet → merchant (pay_…), method cpm (code) or mpm (store QR).
// - refund: merchant → wallet (pre_…), partial and several, never above the payment.
// - receipt: the customer's notice (with a "this was not me" freeze link) and the merchant's
//   webhook event, sent from the outbox after the change commits.
// - guessing counters: failed code verifications per terminal and merchant per window.

export { loadOrCreatePaymentCodeKey } from './keys.ts';
export { createPayments, type Payments } from './payments.ts';
export { paymentsRiskFacts } from './risk-facts.ts';
export { type BatcherStats } from './batcher.ts';
export { type RedeemPhases } from './redeem.ts';
export { CARD_CLEARING_OWNER, accountIdFor, accountInput } from './accounts.ts';

interface PaymentsRoutesDeps {
  payments: Payments;
  identity: Pick<
    Identity,
    'requireCustomer' | 'requireDeviceProof' | 'customerOf' | 'verifyDeviceProof'
  >;
  merchants: Pick<
    Merchants,
    'authenticateTerminal' | 'listTerminals' | 'approveAtRegister' | 'getStore'
  >;
  idempotency: Idempotency;
  requireMerchantKey(scope: Scope): preHandlerAsyncHookHandler;
  merchantKeyOf(req: FastifyRequest): MerchantPrincipal;
  merchantScopeOf(req: FastifyRequest): string;
}

/** Mounts /v1/wallet/*, /v1/code_payments/* and /v1/stores/:id/qr. */
export function paymentsRoutes(app: FastifyInstance, deps: PaymentsRoutesDeps): void {
  walletRoutes(app, deps);
  registerRoutes(app, {
    ...deps,
    terminalAuthCacheMs: deps.payments.limits.terminalAuthCacheMs,
  });
}

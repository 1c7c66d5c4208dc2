import { acquirerError, type Acquirer } from '../acquirer/index.ts';
import type { Audit, AuditEntryInput } from '../audit/index.ts';
import type { CheckoutLimits } from '../config.ts';
import {
  allSent,
  beginReading,
  withLastWrites,
  type LastWrites,
  type Sql,
  type Tx,
} from '../db/index.ts';
import type { Source } from '../http/index.ts';
import { assert } from '../lib/assert.ts';
import { KinkoError } from '../lib/errors.ts';
import type { Clock } from '../lib/clock.ts';
import type { Logger } from '../lib/log.ts';
import type { Ledger, LedgerContext, TransferInput } from '../ledger/index.ts';
import type { Vault } from '../vault/index.ts';
import type { Webhooks } from '../webhooks/index.ts';
import { assertTransition, eventFor, type PaymentStatus } from './state.ts';
import * as store from './store.ts';
import { accountsFor } from './transfers.ts';
import { paymentView } from './views.ts';
import type { SwitchCheck } from '../switches/index.ts';
import type { Risk } from '../risk/index.ts';

// The steps' writes to rows other payments share go last, with COMMIT (db's withLastWrites).
export { withLastWrites, type LastWrites };

// What every web payment step shares: its dependencies, who is calling, and the one way a
// payment changes status (row, webhook event and audit entry in the caller's transaction).

export interface WebPaymentsDeps {
  sql: Sql;
  clock: Clock;
  log: Logger;
  audit: Pick<Audit, 'append'>;
  ledger: Pick<Ledger, 'createAccounts' | 'createTransfersInTx'>;
  vault: Pick<Vault, 'authorize' | 'getCard' | 'cardRiskFacts'>;
  /** The risk engine: a new authorization is decided first (risk.ts). */
  risk: Pick<Risk, 'assess' | 'record' | 'recordRefusal' | 'reviews'>;
  acquirer: Pick<Acquirer, 'getAuthorization' | 'capture' | 'void' | 'refund' | 'expireChallenges'>;
  webhooks: Pick<Webhooks, 'emitEvent'>;
  /** The merchant's allowed origins (merchants module): who may frame a 3-D Secure page. */
  merchantOrigins(merchantId: string): Promise<string[]>;
  /** Kinko's origin as browsers reach it; 3-D Secure pages live there. */
  publicOrigin: string;
  limits: CheckoutLimits;
  /** Kill switches: web payments and refunds can be suspended. */
  switches: SwitchCheck;
}

/** The kill-switch check of a caller's request: its merchant and source. */
export function refuseIfSuspended(
  d: WebPaymentsDeps,
  operation: 'web_payments' | 'refunds',
  who: Caller,
): void {
  d.switches.refuse({ operation, merchantId: who.merchantId, source: who.source?.ip });
}

/** The merchant (and mode) a request acts for, and who to write in the audit log. */
export interface Caller extends store.Owner {
  actor: AuditEntryInput['actor'];
  source?: Source;
}

export function systemCaller(row: { merchant_id: string; livemode: boolean }): Caller {
  return {
    merchantId: row.merchant_id,
    livemode: row.livemode,
    actor: { type: 'system', id: 'payments_web' },
  };
}

function ledgerContext(who: Caller): LedgerContext {
  const ctx: LedgerContext = { actor: { type: who.actor.type } };
  if (who.actor.id !== undefined) ctx.actor.id = who.actor.id;
  if (who.source) {
    ctx.source = {};
    if (who.source.ip !== undefined) ctx.source.ip = who.source.ip;
    if (who.source.requestId !== undefined) ctx.source.requestId = who.source.requestId;
  }
  return ctx;
}

/** The card network did not answer: its outcome is unknown until a retry with the same key. */
export function isTransportError(e: unknown): e is KinkoError {
  return acquirerError.is(e, 'acquirer_timeout', 'acquirer_unreachable');
}

export function lockUntil(d: WebPaymentsDeps): Date {
  return new Date(d.clock.nowMs() + d.limits.callLockSeconds * 1000);
}

/**
 * A transaction on one payment, found by id: its row, locked, goes out with BEGIN
 * (beginReading), and fn (which writes) runs once it answered; undefined when it is gone.
 * A write fn hands to `writes` leaves with COMMIT (withLastWrites).
 */
export function onPayment<T>(
  d: Pick<WebPaymentsDeps, 'sql'>,
  id: string,
  fn: (tx: Tx, p: store.PaymentRow | undefined, writes: LastWrites) => Promise<T>,
): Promise<T> {
  const read = (tx: Tx) => store.paymentById(tx, id);
  return withLastWrites((writes) => beginReading(d.sql, read, (tx, p) => fn(tx, p, writes)));
}

/**
 * Moves a payment to `patch.status` (a transition the state machine allows, asserted) and
 * records it: the row, the webhook event it announces, and the audit entry. p must be the
 * row as locked in tx: the event and the entry are made from p with the patch applied (what
 * the update writes), so the three statements go out together, one round trip for all.
 */
export async function transition(
  d: WebPaymentsDeps,
  tx: Tx,
  p: store.PaymentRow,
  patch: store.PaymentPatch & { status: PaymentStatus },
  who: Caller,
  note: Record<string, unknown> = {},
): Promise<store.PaymentRow> {
  assertTransition(p.status, patch.status);
  const leaving = patch.status !== 'processing';
  const full = leaving ? { ...patch, step: null, locked_until: null } : patch;
  const at = d.clock.now();
  const updated = store.updatePayment(tx, p.id, full, at);
  const next = patched(p, full, at);
  const type = eventFor(p.status, next.status);
  // The update, the webhook event and the audit entry all settle before COMMIT or ROLLBACK,
  // which then follows whatever any of them sends.
  const emitted = type
    ? d.webhooks.emitEvent(tx, {
        merchantId: next.merchant_id,
        type,
        object: paymentView(next),
        orderKey: next.id,
      })
    : undefined;
  const failed = next.status === 'requires_payment_method' && next.last_payment_error !== null;
  const audited = d.audit.append(tx, [
    {
      action: `payments_web.payment.${next.status}`,
      actor: who.actor,
      subject: { type: 'payment', id: next.id },
      source: who.source,
      outcome: failed ? 'failure' : 'success',
      detail: {
        from: p.status,
        to: next.status,
        step: next.step ?? undefined,
        amount: next.amount.toString(),
        currency: next.currency,
        amount_capturable: next.amount_capturable.toString(),
        amount_received: next.amount_received.toString(),
        error_code: next.last_payment_error?.code,
        decline_code: next.last_payment_error?.decline_code,
        ...note,
      },
    },
  ]);
  const [row] = await allSent([updated, emitted, audited]);
  assert(
    row.status === next.status && row.updated_at.getTime() === at.getTime(),
    `payment ${p.id} changed outside its lock`,
  );
  return row;
}

/** The row an update writes: p with the patch's defined fields and its time. */
function patched(p: store.PaymentRow, patch: store.PaymentPatch, at: Date): store.PaymentRow {
  const next: store.PaymentRow = { ...p, updated_at: at };
  for (const [k, v] of Object.entries(patch)) {
    if (v !== undefined) (next as unknown as Record<string, unknown>)[k] = v;
  }
  return next;
}

/**
 * Posts transfers in the caller's transaction; any answer but ok/exists (or `allowed`)
 * asserts. With `writes` (withLastWrites), the answers come once the accounts are locked and
 * the write is left to go out with COMMIT: the caller then sends nothing more, so the
 * accounts are locked last (everything else of the transaction goes before this call).
 */
export async function postTransfers(
  d: WebPaymentsDeps,
  tx: Tx,
  transfers: TransferInput[],
  who: Caller,
  allowed: readonly string[] = [],
  writes?: LastWrites,
): Promise<string[]> {
  const ctx = ledgerContext(who);
  if (writes) ctx.writesInto = writes;
  const results = await d.ledger.createTransfersInTx(tx, transfers, ctx);
  for (const r of results) {
    const ok = r.result === 'ok' || r.result === 'exists' || allowed.includes(r.result);
    assert(ok, `ledger refused web payment transfer ${r.id}: ${r.result}`);
  }
  return results.map((r) => r.result);
}

// Accounts known to exist, per wiring (one set per createWebPayments).
const ensuredByDeps = new WeakMap<WebPaymentsDeps, Set<string>>();

/** The clearing and merchant accounts of a currency exist (an idempotent ledger call). */
export async function ensureAccounts(
  d: WebPaymentsDeps,
  p: { merchant_id: string; livemode: boolean; currency: string },
): Promise<void> {
  const inputs = accountsFor(p);
  let ensured = ensuredByDeps.get(d);
  if (!ensured) ensuredByDeps.set(d, (ensured = new Set()));
  if (inputs.every((a) => ensured.has(a.id))) return;
  const results = await d.ledger.createAccounts(inputs);
  for (const r of results) {
    assert(r.result === 'ok' || r.result === 'exists', `ledger refused account ${r.id}`);
  }
  for (const a of inputs) ensured.add(a.id);
}

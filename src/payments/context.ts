import type { Acquirer } from '../acquirer/index.ts';
import type { Audit, AuditEntryInput } from '../audit/index.ts';
import type { PaymentsLimits } from '../config.ts';
import type { Sql, Tx } from '../db/index.ts';
import type { Identity } from '../identity/index.ts';
import type { Ledger } from '../ledger/index.ts';
import { assert } from '../lib/assert.ts';
import type { Clock } from '../lib/clock.ts';
import type { Logger } from '../lib/log.ts';
import type { Merchants } from '../merchants/index.ts';
import type { NewEvent, Outbox } from '../outbox/index.ts';
import type { Risk } from '../risk/index.ts';
import type { Vault } from '../vault/index.ts';
import type { Webhooks } from '../webhooks/index.ts';
import { accountInput, CARD_CLEARING_OWNER, type AccountKind } from './accounts.ts';
import type { ReceiptKind } from './store.ts';
import type { Source } from '../http/index.ts';
import type { SwitchCheck } from '../switches/index.ts';

// What every payments service receives: the modules it orchestrates, as plain parameters.

export interface PaymentsDeps {
  sql: Sql;
  clock: Clock;
  log: Logger;
  limits: PaymentsLimits;
  ledger: Pick<Ledger, 'createAccounts' | 'createTransfersInTx' | 'lookupAccounts'>;
  audit: Pick<Audit, 'append' | 'appendStatement' | 'hooked'>;
  outbox: Pick<Outbox, 'enqueue' | 'claim' | 'complete' | 'completeMany' | 'fail' | 'runWorker'>;
  identity: Pick<
    Identity,
    | 'customerFacts'
    | 'freezeLink'
    | 'freezeLinks'
    | 'verifyDeviceProof'
    | 'moneyMovementHold'
    | 'deleteCustomer'
    | 'lockOpenForCredit'
  >;
  vault: Pick<Vault, 'authorize' | 'getCard' | 'deleteCards' | 'cardRiskFacts'>;
  acquirer: Pick<Acquirer, 'capture' | 'getAuthorization' | 'expireChallenges'>;
  merchants: Pick<Merchants, 'authenticateTerminal' | 'getMerchant' | 'getStore' | 'listTerminals'>;
  webhooks: Pick<Webhooks, 'emitEvent' | 'emitEvents' | 'emitEventsFannedOut'>;
  risk: Risk;
  /** Kill switches: card linking, top-ups, code and store QR payments, refunds. */
  switches: SwitchCheck;
  /** HMAC key of payment codes (keys.ts), from a file outside the database. */
  codeKey: Buffer;
  /** Kinko's origin as browsers see it: 3-D Secure challenge pages and freeze links. */
  publicOrigin: string;
}

export type { Source };

export const WALLET_CURRENCY = 'JPY';
export const RECEIPT_TOPIC = 'payments.receipt';

/** Ledger accounts known to exist, per wiring: created once, then never asked again. */
const knownAccounts = new WeakMap<PaymentsDeps, Set<string>>();

/** Creates the ledger accounts (idempotently: `exists` is as good as `ok`). */
export async function ensureAccounts(
  deps: PaymentsDeps,
  wanted: readonly { kind: AccountKind; owner: string }[],
): Promise<void> {
  let known = knownAccounts.get(deps);
  if (!known) knownAccounts.set(deps, (known = new Set()));
  const inputs = wanted
    .map((w) => accountInput(w.kind, w.owner, WALLET_CURRENCY))
    .filter((a) => !known.has(a.id));
  const unique = [...new Map(inputs.map((a) => [a.id, a])).values()];
  if (unique.length === 0) return;
  const results = await deps.ledger.createAccounts(unique);
  for (const r of results) {
    assert(r.result === 'ok' || r.result === 'exists', `ledger account ${r.id}: ${r.result}`);
    known.add(r.id);
  }
}

export const clearing = { kind: 'card_clearing' as const, owner: CARD_CLEARING_OWNER };

export function entry(
  action: string,
  actor: AuditEntryInput['actor'],
  subject: { type: string; id: string },
  source: Source | undefined,
  detail: Record<string, unknown>,
  outcome: AuditEntryInput['outcome'] = 'success',
): AuditEntryInput {
  return {
    action,
    actor,
    subject,
    source: source ? { ip: source.ip, requestId: source.requestId } : undefined,
    outcome,
    detail,
  };
}

/**
 * Receipts one event carries: a register batch's payments (at most 5,000, batchSizeMax) in
 * a few events, each well inside the outbox's 64 KiB payload (ids are at most 68 bytes).
 */
const RECEIPT_IDS_PER_EVENT_MAX = 500;

/**
 * The receipt events (customer notice, merchant webhook) for committed money movements: one
 * movement's event names it (`id`); a batch's names all of them (`ids`), so a register batch
 * writes, and the receipts worker takes, a row per batch rather than per payment.
 */
export function receiptEvents(kind: ReceiptKind, ids: readonly string[]): NewEvent[] {
  const [only] = ids;
  if (ids.length === 1) return [{ topic: RECEIPT_TOPIC, key: only, payload: { kind, id: only } }];
  const events: NewEvent[] = [];
  for (let i = 0; i < ids.length; i += RECEIPT_IDS_PER_EVENT_MAX) {
    const chunk = ids.slice(i, i + RECEIPT_IDS_PER_EVENT_MAX);
    events.push({ topic: RECEIPT_TOPIC, key: chunk[0], payload: { kind, ids: chunk } });
  }
  return events;
}

export async function enqueueReceipts(
  deps: PaymentsDeps,
  tx: Tx,
  kind: ReceiptKind,
  ids: readonly string[],
): Promise<void> {
  if (ids.length > 0) await deps.outbox.enqueue(tx, receiptEvents(kind, ids));
}

import { randomUUID } from 'node:crypto';
import {
  merkleRootPacked,
  type ActorType,
  type Audit,
  type AuditEntryInput,
} from '../audit/index.ts';
import type { Limits } from '../config.ts';
import { beginWith, retryOnConflict, type Sql, type Tx } from '../db/index.ts';
import { assert } from '../lib/assert.ts';
import type { Clock } from '../lib/clock.ts';
import type { AccountResultCode, TransferResultCode } from './errors.ts';
import {
  ACCOUNT_FLAG,
  TRANSFER_FLAG,
  applyAccounts,
  applyTransfersInChunks,
  expirePending,
  isValidId,
  transferFlags,
  type AccountInput,
  type AccountBalances,
  type AccountState,
  type BatchContext,
  type BatchOutcome,
  type BatchState,
  type PendingState,
  type TransferInput,
  type TransferRecord,
} from './state.ts';
import { transferLeafInto } from './canonical.ts';
import { proveTransfer, type TransferProofResult } from './proof.ts';
import * as store from './store.ts';
import { BATCH_ACTION, BATCH_SUBJECT } from './batch-audit.ts';

// The ledger service: one batch is one database transaction. It locks the batch's accounts
// that have a balance limit in id order and reads the others (store.lockAccounts: their
// rows are locked by the write, until COMMIT, and take the batch's change added), loads
// the transfers the batch names, runs the pure state machine (state.ts)
// over them in memory, writes the outcome back set-based, and appends one audit entry for
// the whole batch in the same transaction (chained after commit: the append locks nothing).
// That entry holds the Merkle root over the transfers the batch created (batch-audit.ts).

type LedgerLimits = Pick<Limits, 'ledgerTransferBatchSizeMax' | 'ledgerPendingTimeoutSecondsMax'>;

interface LedgerDeps {
  sql: Sql;
  clock: Clock;
  audit: Audit;
  limits: LedgerLimits;
}

export interface LedgerContext {
  actor: { type: ActorType; id?: string };
  source?: { ip?: string; requestId?: string };
  /**
   * createTransfersInTx only: the batch's audit entry is pushed here instead of being
   * appended, for a caller that appends it with its own entries in one append (one head
   * lock) before its transaction commits. The caller must append it.
   */
  auditInto?: AuditEntryInput[];
  /**
   * createTransfersInTx only: the batch's write statement is sent but not awaited; its
   * promise is pushed here, so that the caller's own statements go out in the same round
   * trip (the results are decided before it is sent). The caller must await it before its
   * transaction commits.
   */
  writesInto?: Promise<void>[];
}

interface CreateAccountResult {
  index: number;
  id: string;
  result: AccountResultCode;
}

interface CreateTransferResult {
  index: number;
  id: string;
  result: TransferResultCode;
}

interface Account {
  id: string;
  currency: string;
  code: number;
  flags: { debitsMustNotExceedCredits: boolean; creditsMustNotExceedDebits: boolean };
  userData: string | null;
  debitsPending: bigint;
  debitsPosted: bigint;
  creditsPending: bigint;
  creditsPosted: bigint;
  createdAt: Date;
}

export interface Transfer {
  id: string;
  debitAccountId: string;
  creditAccountId: string;
  /** For a post: the amount posted; for a void: the pending amount released. */
  amount: bigint;
  pendingId: string | null;
  currency: string;
  code: number;
  flags: {
    linked: boolean;
    pending: boolean;
    postPendingTransfer: boolean;
    voidPendingTransfer: boolean;
  };
  timeoutSeconds: number;
  userData: string | null;
  createdAt: Date;
  /** Pending transfers only: pending, posted, voided or expired. */
  state: PendingState | null;
}

type LedgerCheckResult =
  | { ok: true; currencies: number; accounts: number; transfers: number }
  | { ok: false; discrepancy: string };

export interface Ledger {
  createAccounts(accounts: AccountInput[], ctx?: LedgerContext): Promise<CreateAccountResult[]>;
  createTransfers(transfers: TransferInput[], ctx?: LedgerContext): Promise<CreateTransferResult[]>;
  /** The same, inside the caller's transaction, so the caller's own rows commit with it. */
  createTransfersInTx(
    tx: Tx,
    transfers: TransferInput[],
    ctx?: LedgerContext,
  ): Promise<CreateTransferResult[]>;
  lookupAccounts(ids: string[]): Promise<Account[]>;
  lookupTransfers(ids: string[]): Promise<Transfer[]>;
  /** Expires pending transfers whose timeout passed; returns how many. */
  expirePendingTransfers(): Promise<number>;
  check(): Promise<LedgerCheckResult>;
  /**
   * An inclusion proof for one transfer: canonical form, audit path to its batch's root, the
   * batch's entry and the signed checkpoint covering it (proof.ts).
   */
  proveTransfer(id: string): Promise<TransferProofResult>;
}

const SYSTEM: LedgerContext = { actor: { type: 'system' } };

/**
 * Attempts of a whole batch when a concurrent batch inserted one of its ids first (or, in a
 * transaction of its own, when a first attempt that took its ids for new found one stored).
 */
const BATCH_ATTEMPTS_MAX = 4;

/**
 * How a batch learns which of its transfer ids are stored already. `looked_up`: its lock
 * statement says whether any is, and only then are they read. `unlooked`: nothing is read
 * and every id is taken for new; one that is stored fails the batch's insert (23505, its
 * primary key) and rolls the whole transaction back, and the retry looks them up. Only a
 * batch in a transaction of its own may do that, since only it can run again from the start:
 * it saves each new transfer an index probe, and the lookup's plan, which PostgreSQL chose
 * as a sequential scan of ledger_transfers while the table had no statistics yet (a fresh
 * database, before the first autovacuum analyze) and kept for every later run of it on
 * that connection as the table grew.
 */
type Stored = 'looked_up' | 'unlooked';
const UNIQUE_VIOLATION = '23505';

export function createLedger(deps: LedgerDeps): Ledger {
  const { sql, limits } = deps;
  const facts = new AccountFacts(ACCOUNT_FACTS_MAX);

  const createTransfersInTx = async (tx: Tx, transfers: TransferInput[], ctx = SYSTEM) => {
    if (transfers.length === 0) return [];
    const { results, written } = await transferBatch(deps, tx, transfers, ctx, { facts });
    if (!ctx.writesInto) await written;
    else {
      // Observed at once: the caller awaits it, but may throw before it gets there.
      written.catch(() => undefined);
      ctx.writesInto.push(written);
    }
    return results;
  };

  return {
    createAccounts: async (accounts, ctx = SYSTEM) => {
      assert(accounts.length <= limits.ledgerTransferBatchSizeMax, 'account batch too large');
      if (accounts.length === 0) return [];
      const { results, created } = await retryOnConflict(BATCH_ATTEMPTS_MAX, () =>
        sql.begin((tx) => accountBatch(deps, tx, accounts, ctx)),
      );
      // Committed: from now on a transfer may name them without reading them.
      for (const a of created) facts.remember(a);
      return results;
    },
    createTransfers: async (transfers, ctx = SYSTEM) => {
      assert(transfers.length <= limits.ledgerTransferBatchSizeMax, 'transfer batch too large');
      if (transfers.length === 0) return [];
      // The first attempt takes the batch's ids for new (see Stored); only after a lost
      // race (an id already stored fails the insert) does an attempt look them up.
      let attempts = 0;
      return retryOnConflict(BATCH_ATTEMPTS_MAX, async () => {
        if (attempts++ > 0) return ownTransaction(deps, transfers, ctx, { facts });
        const unlooked = { facts, stored: 'unlooked' as const };
        try {
          return await ownTransaction(deps, transfers, ctx, { ...unlooked, onFacts: true });
        } catch (e) {
          // A batch decided on facts whose write found them wrong (FACTS_UNSURE) stored
          // nothing: it runs again at once, reading its accounts.
          if (!FACTS_UNSURE.has((e as { code?: unknown }).code)) throw e;
          return ownTransaction(deps, transfers, ctx, unlooked);
        }
      });
    },
    createTransfersInTx,
    lookupAccounts: async (ids) => {
      const found = await store.selectAccounts(sql, ids.filter(isValidId));
      return inOrder(ids, found).map(toAccount);
    },
    lookupTransfers: async (ids) => {
      const found = await store.selectTransfers(sql, ids.filter(isValidId));
      return inOrder(ids, found).map(toTransfer);
    },
    expirePendingTransfers: async () => {
      let total = 0;
      for (;;) {
        const { expired, scanned } = await sql.begin((tx) => expireBatch(deps, tx));
        total += expired;
        if (scanned < limits.ledgerTransferBatchSizeMax) return total;
      }
    },
    check: () => sql.begin('isolation level repeatable read read only', (tx) => check(tx)),
    proveTransfer: (id) => proveTransfer(sql, deps.audit, id),
  };
}

/** How a batch reads what it decides on (transferBatch). */
interface BatchReads {
  /** What the ledger knows of accounts without a balance limit; every read adds to it. */
  facts: AccountFacts;
  /** Whether the batch's stored ids are looked up (Stored); `looked_up` unless said. */
  stored?: Stored;
  /**
   * A batch in a transaction of its own that is small and takes its ids for new: when it
   * names only accounts the facts hold and resolves no pending transfer, it decides on them
   * without a statement (stateFromFacts) and its write, alone, is its transaction.
   */
  onFacts?: boolean;
  /** The state such a batch decided on (ownTransaction); nothing is read. */
  known?: BatchState;
  /** The plan-mode switch, sent with BEGIN (beginWith); transferBatch sends it otherwise. */
  sentPlanMode?: Promise<string | undefined>;
}

/**
 * A batch in a transaction of its own, committed without waiting for its writes' answers:
 * postgres.js sends COMMIT as soon as the callback resolves, so the callback hands the
 * writes out unawaited and COMMIT follows them in the same round trip. They are awaited
 * after: if one failed, PostgreSQL ended the transaction with a rollback at COMMIT (the
 * driver does not report that), and its error is thrown here.
 */
async function ownTransaction(
  deps: LedgerDeps,
  transfers: readonly TransferInput[],
  ctx: LedgerContext,
  reads: BatchReads,
): Promise<CreateTransferResult[]> {
  const small = transfers.length <= store.INSERT_TRANSFERS_MAX;
  const known =
    reads.onFacts && small && reads.stored === 'unlooked'
      ? stateFromFacts(transfers, reads.facts)
      : undefined;
  if (known) {
    // Decided without reading, the batch writes with one statement, which the pool runs as
    // a transaction of its own: no BEGIN, COMMIT or plan-mode switch, one round trip. One
    // statement commits all of its items (transfers, balances, batch row, audit entry) or
    // none; its one-transfer form has plain parameters, whose generic plan PostgreSQL
    // keeps under plan_cache_mode auto (store.transferInsert).
    const pool = deps.sql as unknown as Tx;
    const batch = await transferBatch(deps, pool, transfers, ctx, { ...reads, known });
    await batch.written;
    return batch.results;
  }
  const run = async (tx: Tx, sentPlanMode?: Promise<string | undefined>) => {
    const batch = await transferBatch(deps, tx, transfers, ctx, { ...reads, sentPlanMode });
    // Observed at once, so a failure is not reported as unhandled before it is awaited.
    batch.written.catch(() => undefined);
    return batch;
  };
  // A small batch's switch to generic plans goes out with BEGIN, and its lock right behind
  // them: two round trips in all (that one, then the write with COMMIT) instead of three.
  // transferBatch awaits the switch before it sends the write, which beginWith requires.
  // Only COMMIT follows the write, so there is no mode to put back (undefined).
  const { results, written } = small
    ? await beginWith(deps.sql, store.OWN_GENERIC_PLANS, (tx, opened) =>
        run(
          tx,
          opened.then(() => undefined),
        ),
      )
    : await deps.sql.begin((tx) => run(tx));
  await written;
  return results;
}

/**
 * Sends a batch's plan-mode switch and reads (or, deciding on facts, takes) what it decides
 * on. `onFacts`: the batch was not read (stateFromFacts).
 */
async function startBatch(
  tx: Tx,
  transfers: readonly TransferInput[],
  reads: BatchReads,
): Promise<{
  planMode: Promise<string | undefined>;
  state: BatchState;
  onFacts: boolean;
  adds: PlannedAdds | null;
}> {
  if (reads.known) return { planMode: NO_PLAN_MODE, state: reads.known, onFacts: true, adds: null };
  // A small batch's statements are planned once per connection (store.useGenericPlans); the
  // switch is sent unawaited, ahead of the lock (or was sent with BEGIN: sentPlanMode), and
  // the write statement switches back. The write is sent only once the switch answered.
  // A large batch's statements are planned for their arrays each time instead
  // (store.useCustomPlans), which also restores the caller's mode at the write.
  const small = transfers.length <= store.INSERT_TRANSFERS_MAX;
  const unlooked = reads.stored === 'unlooked';
  // A large batch of its own that takes its ids for new adds its balances before it decides
  // when it can (addAndLoad): its own transaction ends the nested-loop settings at COMMIT.
  const adds = !small && unlooked ? plannedAdds(transfers, reads.facts) : null;
  const planMode = small
    ? (reads.sentPlanMode ?? store.useGenericPlans(tx))
    : adds
      ? store.useCustomPlansNestedLoops(tx)
      : store.useCustomPlans(tx);
  // Observed at once: a failure also fails the lock, and this one is then never awaited.
  planMode.catch(() => undefined);
  // A batch in a transaction of its own (any size) takes its ids for new: a stored one fails
  // the insert (a large batch's COPY included) and rolls everything back before COMMIT, and
  // a refused one is looked up before the batch writes. That saves a large batch sending its
  // ids in the lock (37 bytes of text each) and PostgreSQL one primary-key probe per id.
  if (adds) return { planMode, state: await addAndLoad(tx, transfers, adds), onFacts: false, adds };
  const stored = unlooked ? 'unlooked' : 'looked_up';
  const state = await lockAndLoad(tx, transfers, stored, reads.facts);
  return { planMode, state, onFacts: false, adds };
}

/**
 * Decides a batch and sends its writes. `written` settles when they are done (the first
 * failure, once nothing of the batch is still running); a caller that commits may send
 * COMMIT behind them before it settles.
 */
async function transferBatch(
  deps: LedgerDeps,
  tx: Tx,
  transfers: readonly TransferInput[],
  ctx: LedgerContext,
  reads: BatchReads,
): Promise<{ results: CreateTransferResult[]; written: Promise<void> }> {
  assert(transfers.length <= deps.limits.ledgerTransferBatchSizeMax, 'transfer batch too large');
  const nowMs = deps.clock.nowMs();
  const { planMode, state, onFacts, adds } = await startBatch(tx, transfers, reads);
  const unlooked = reads.stored === 'unlooked';
  // COPY must have the connection to itself, so it goes first, and it starts with the first
  // transfers decided: PostgreSQL inserts them while Node decides the rest (and hashes the
  // leaves of the part already sent). Everything else, a small batch's transfers included,
  // is one statement (store.writeBatch) with the audit append inside it (which locks
  // nothing shared), pipelined behind whatever was sent before it.
  const batch: BatchLeaves = {
    id: randomUUID(),
    leaves: Buffer.allocUnsafe(32 * transfers.length),
    count: 0,
  };
  const { outcome, few } = await applyAndCopy(tx, state, transfers, batch, {
    nowMs,
    pendingTimeoutSecondsMax: deps.limits.ledgerPendingTimeoutSecondsMax,
  });
  // A transfer refused for any reason (its balance, its chain) might have been stored by an
  // earlier call: that one must answer `exists`. An insert reports a stored id of its own.
  if (unlooked) await failIfStored(tx, transfers, outcome);
  const created = outcome.created;
  const entries = created.length > 0 ? [batchEntry(batch, ctx)] : [];
  if (ctx.auditInto) ctx.auditInto.push(...entries);
  const appendInside = !ctx.auditInto && entries.length > 0;
  // An entry the SIEM export must hear of (the batch an operator's decision posts) goes
  // through append, which tells the export in this transaction: one round trip more.
  const byStatement = appendInside && !deps.audit.hooked(entries);
  const restorePlanMode = await planMode;
  if (appendInside && !byStatement) {
    // audit.append is statements of its own: not for a batch whose write is its transaction.
    if (onFacts) throw Object.assign(new Error('the batch needs a transaction'), NEEDS_TX);
    await deps.audit.append(tx, entries);
  }
  const written = store.writeBatch(tx, {
    restorePlanMode,
    accountsUnread: onFacts,
    transfers: few,
    touched: adds ? refusedAccounts(transfers, state, outcome) : outcome.touched,
    postedOnly: movedNoPending(outcome),
    resolved: outcome.resolved,
    batch:
      created.length > 0
        ? { id: batch.id, created, leaves: packedLeaves(batch), createdAtMs: nowMs }
        : null,
    also: byStatement ? deps.audit.appendStatement(tx, entries) : null,
  });
  const results = outcome.results.map((result, index) => ({
    index,
    id: transfers[index]!.id,
    result,
  }));
  return { results, written };
}

/** Accounts whose facts the ledger holds at most (AccountFacts), ~100 bytes each. */
const ACCOUNT_FACTS_MAX = 100_000;

/**
 * Errors of a batch decided on facts (stateFromFacts) that say the facts were not enough,
 * after which it runs again, reading its accounts, in a transaction: an account the facts
 * hold is not stored (the write updates fewer rows; only a database emptied under a running
 * ledger, as tests do), a balance would pass the int8 range, which only the read balances
 * answer with `overflows_debits` or `overflows_credits`, or its audit entry is one that
 * audit.append must write (NEEDS_TX). Nothing was written.
 */
const FACTS_UNSURE = new Set<unknown>([store.ACCOUNTS_UNREAD_MISSING, '22003', 'needs_tx']);

/** A batch decided on facts whose audit entry audit.append must write: run in a transaction. */
const NEEDS_TX = { code: 'needs_tx' };

/** The plan mode of a batch that switches none (one decided on facts). */
const NO_PLAN_MODE: Promise<string | undefined> = Promise.resolve(undefined);

/**
 * What the ledger knows of committed accounts without a balance limit: their currency
 * (their flags are 0). An account's currency, code and flags never change and accounts
 * are never deleted, so a fact stays true; the ledger learns them from its lock's reads and
 * from the accounts it creates. At most `max`, the oldest learnt forgotten first.
 */
class AccountFacts {
  private readonly currencies = new Map<string, string>();

  constructor(private readonly max: number) {}

  /** Notes an account read or created; one with a balance limit is never held. */
  remember(a: { id: string; currency: string; flags: number }): void {
    if (a.flags !== 0 || this.currencies.has(a.id)) return;
    if (this.currencies.size >= this.max) {
      const oldest = this.currencies.keys().next();
      if (!oldest.done) this.currencies.delete(oldest.value);
    }
    this.currencies.set(a.id, a.currency);
  }

  currency(id: string): string | undefined {
    return this.currencies.get(id);
  }
}

/**
 * A batch's state without reading anything, for a batch of new transfers whose accounts
 * all have no balance limit and are held by the facts; undefined otherwise. Nothing such a
 * batch decides depends on those accounts' balances (they are read without a lock anyway,
 * and the write adds what the batch changed to the rows as they are), so each is taken with
 * balances of 0 as read: the batch's change is then its balances. The one decision that
 * reads balances, whether one would pass the int8 range, is left to the write, which
 * fails on it (FACTS_UNSURE) and the batch runs again reading them.
 */
function stateFromFacts(
  transfers: readonly TransferInput[],
  facts: AccountFacts,
): BatchState | undefined {
  const accounts = new Map<string, AccountBalances>();
  const resolves = TRANSFER_FLAG.post | TRANSFER_FLAG.void;
  for (const t of transfers) {
    if (transferFlags(t) & resolves) return undefined;
    for (const id of [t.debitAccountId, t.creditAccountId]) {
      if (!isValidId(id) || accounts.has(id)) continue;
      const currency = facts.currency(id);
      if (currency === undefined) return undefined;
      accounts.set(id, {
        id,
        currency,
        flags: 0,
        debitsPending: 0n,
        debitsPosted: 0n,
        creditsPending: 0n,
        creditsPosted: 0n,
        asRead: [0n, 0n, 0n, 0n],
      });
    }
  }
  return { accounts, transfers: new Map() };
}

/**
 * Locks the batch's accounts (those with a balance limit; store.lockAccounts) and loads the
 * stored transfers it names. For a batch of new transfers, one statement: the lock says
 * whether any of its ids is stored, and only then are they read (an idempotent retry). A
 * batch that posts or voids locks the transfers it names first (the pending ones, and its
 * own if stored), in id order, and their accounts after: a pending transfer is resolved
 * once even when its accounts are not locked, and the accounts, read after the pending
 * transfer committed, hold its pending amount. Every batch and expiry takes transfers
 * before accounts.
 */
async function lockAndLoad(
  tx: Tx,
  transfers: readonly TransferInput[],
  storedIds: Stored,
  facts: AccountFacts,
): Promise<BatchState> {
  const { accountIds, transferIds, pendingIds } = batchIds(transfers);
  const pending = pendingIds.length > 0;
  const read = pending ? await store.lockTransfers(tx, transferIds()) : undefined;
  for (const t of read ?? []) accountIds.add(t.debitAccountId).add(t.creditAccountId);
  const lookup = pending || storedIds === 'unlooked' ? [] : transferIds();
  // A small batch (a payment's) reads its accounts without a balance limit rather than
  // locking them; a large one locks all: measured, its UPDATE then paid what the lock saved.
  const small = transfers.length <= store.INSERT_TRANSFERS_MAX;
  const locked = await store.lockAccountsFindingTransfers(tx, [...accountIds], lookup, small);
  // Missing accounts leave the lock's answer empty; read then, to answer `exists` rightly.
  const unsure = locked.anyStored || locked.accounts.length < accountIds.size;
  const stored = read ?? (unsure ? await store.selectTransfers(tx, transferIds()) : []);
  const accounts = new Map<string, AccountBalances>();
  for (const a of locked.accounts) {
    accounts.set(a.id, a);
    facts.remember(a);
  }
  // A stored transfer may name accounts not locked yet (one committed after the first read,
  // or an earlier transfer with this id); lock them now (out of order, so PostgreSQL may
  // report a deadlock, retried).
  const late = stored
    .flatMap((t) => [t.debitAccountId, t.creditAccountId])
    .filter((id) => !accounts.has(id) && !accountIds.has(id));
  for (const a of await store.lockAccounts(tx, [...new Set(late)], small)) accounts.set(a.id, a);
  return { accounts, transfers: new Map(stored.map((t) => [t.id, t])) };
}

/** A large batch's planned change of each account's posted balances (plannedAdds). */
interface PlannedAdds {
  /** In no order: the UPDATE sorts them. */
  ids: string[];
  debitsPosted: number[];
  creditsPosted: number[];
}

/**
 * The largest amount a planned add takes as a number: 8190 of them still sum exactly in a
 * double (below 2^53). A batch with a larger one locks first.
 */
const PLANNED_AMOUNT_MAX = 2n ** 53n / 8192n;

/**
 * What a batch would add to each account's posted balances if every transfer it creates
 * with valid accounts and amount were accepted; null (lock first: lockAndLoad) unless every
 * transfer only posts (no pending, post or void) between accounts known to have no balance
 * limit (AccountFacts): balances can then refuse a transfer only by overflow, so adding
 * first is almost always right, and the batch still decides on the balances it replaced
 * (held, as a lock holds them). What it refuses is corrected by its write (refusedAccounts).
 * Sums are numbers (PLANNED_AMOUNT_MAX) and PostgreSQL sorts the ids: BigInt sums and a sort
 * in Node cost ~3 µs a transfer.
 */
function plannedAdds(transfers: readonly TransferInput[], facts: AccountFacts): PlannedAdds | null {
  const moving = TRANSFER_FLAG.pending | TRANSFER_FLAG.post | TRANSFER_FLAG.void;
  const sums = new Map<string, { d: number; c: number }>();
  for (const t of transfers) {
    if (t.flags && transferFlags(t) & moving) return null;
    const dr = t.debitAccountId;
    const cr = t.creditAccountId;
    if (!knownUnlimited(facts, dr) || !knownUnlimited(facts, cr)) return null;
    const amount = t.amount;
    if (typeof amount === 'bigint' && amount > PLANNED_AMOUNT_MAX) return null;
    // Every account is taken by the UPDATE, whether or not a transfer adds to it.
    let d = sums.get(dr!);
    if (!d) sums.set(dr!, (d = { d: 0, c: 0 }));
    let c = sums.get(cr!);
    if (!c) sums.set(cr!, (c = { d: 0, c: 0 }));
    if (dr === cr || typeof amount !== 'bigint' || amount <= 0n) continue;
    const n = Number(amount);
    d.d += n;
    c.c += n;
  }
  const ids: string[] = [];
  const debitsPosted: number[] = [];
  const creditsPosted: number[] = [];
  for (const [id, s] of sums) {
    ids.push(id);
    debitsPosted.push(s.d);
    creditsPosted.push(s.c);
  }
  return { ids, debitsPosted, creditsPosted };
}

/**
 * Whether the facts hold the account, named as PostgreSQL spells it (lower case): the
 * balances the UPDATE answers are keyed so, and a refused transfer's accounts are found
 * by its names (refusedAccounts).
 */
function knownUnlimited(facts: AccountFacts, id: string | undefined): boolean {
  return id !== undefined && facts.currency(id) !== undefined && id === id.toLowerCase();
}

/**
 * lockAndLoad for a batch with plannedAdds: one UPDATE adds them and answers each account's
 * balances before it (store.addPostedReturningOld), which are what the batch decides on, as
 * on a lock's answer: the rows are held by the UPDATE until COMMIT. A batch of its own that
 * takes its ids for new reads stored transfers only when an account is missing (see
 * lockAndLoad).
 */
async function addAndLoad(
  tx: Tx,
  transfers: readonly TransferInput[],
  adds: PlannedAdds,
): Promise<BatchState> {
  const old = await store.addPostedReturningOld(
    tx,
    adds.ids,
    adds.debitsPosted,
    adds.creditsPosted,
  );
  const accounts = new Map<string, AccountBalances>();
  for (const a of old) accounts.set(a.id, a);
  const missing = old.length < adds.ids.length;
  const stored = missing ? await store.selectTransfers(tx, batchIds(transfers).transferIds()) : [];
  return { accounts, transfers: new Map(stored.map((t) => [t.id, t])) };
}

/**
 * The accounts whose balances, as the batch decided them, may differ from what its planned
 * adds set: those of every transfer it refused (a refused amount was added; an add that
 * would have overflowed was left out, and then some transfer to that account was refused,
 * since accepting them all would have overflowed). The batch's write sets their balances,
 * on rows it already holds. Usually none.
 */
function refusedAccounts(
  transfers: readonly TransferInput[],
  state: BatchState,
  outcome: BatchOutcome,
): AccountBalances[] {
  assert(movedNoPending(outcome), 'a batch with planned adds moves no pending amount');
  const refused = new Set<AccountBalances>();
  for (let i = 0; i < transfers.length; i++) {
    if (outcome.results[i] === 'ok') continue;
    const t = transfers[i]!;
    for (const id of [t.debitAccountId, t.creditAccountId]) {
      const a = id === undefined ? undefined : state.accounts.get(id);
      if (a) refused.add(a);
    }
  }
  return [...refused];
}

/**
 * Whether a batch left every pending balance as it found it: it created no pending
 * transfer and posted or voided none (a linked chain that did and failed was taken back).
 */
function movedNoPending(outcome: BatchOutcome): boolean {
  if (outcome.resolved.length > 0) return false;
  for (const t of outcome.created) if (t.state !== null || t.pendingId !== null) return false;
  return true;
}

/**
 * For a batch that took its ids for new: throws a lost race (retried, looking them up) when
 * one it refused is stored after all. Only the refused are looked up: a large batch has
 * already copied the transfers it created into the table, where they would be found (and
 * every such batch that refused one ran twice).
 */
async function failIfStored(
  tx: Tx,
  transfers: readonly TransferInput[],
  outcome: BatchOutcome,
): Promise<void> {
  if (outcome.results.every((r) => r === 'ok')) return;
  const created = new Set(outcome.created.map((t) => t.id));
  const ids = transfers
    .filter((t, i) => outcome.results[i] !== 'ok' && !created.has(t.id))
    .map((t) => t.id)
    .filter(isValidId);
  if ((await store.selectTransferAccountIds(tx, ids)).length > 0) {
    throw Object.assign(new Error('a transfer of the batch is stored'), { code: UNIQUE_VIOLATION });
  }
}

/**
 * A batch's id and the Merkle leaves of the transfers it created, in creation order, packed
 * side by side (leaf i at 32·i, `count` of them): no Buffer per leaf, nothing to concatenate
 * for the batch row, and the root is computed over them in place (merkleRootPacked).
 */
interface BatchLeaves {
  id: string;
  leaves: Buffer;
  count: number;
}

/** The batch's leaves written so far, 32 bytes each. */
function packedLeaves(batch: BatchLeaves): Buffer {
  return batch.leaves.subarray(0, 32 * batch.count);
}

/**
 * Applies the batch. A large batch streams the transfers it creates into a COPY as they
 * become final (applyTransfersInChunks), a COPY chunk at a time; a small one
 * (INSERT_TRANSFERS_MAX) hands them back as `few`, for the batch's one write statement.
 */
async function applyAndCopy(
  tx: Tx,
  state: BatchState,
  transfers: readonly TransferInput[],
  batch: BatchLeaves,
  ctx: BatchContext,
): Promise<{ outcome: BatchOutcome; few: readonly TransferRecord[] }> {
  const steps = applyTransfersInChunks(state, transfers, ctx, store.COPY_CHUNK_TRANSFERS);
  let step = steps.next();
  if (step.done) return { outcome: step.value, few: [] };
  let outcome: BatchOutcome | undefined;
  function* parts(): Generator<readonly TransferRecord[]> {
    while (!step.done) {
      const part = step.value;
      yield part;
      for (const t of part) transferLeafInto(t, batch.leaves, 32 * batch.count++);
      step = steps.next();
    }
    outcome = step.value;
  }
  let few: readonly TransferRecord[] = [];
  if (transfers.length <= store.INSERT_TRANSFERS_MAX) few = [...parts()].flat();
  else await store.insertTransfers(tx, parts(), batch.id);
  assert(outcome, 'the whole batch was applied');
  assert(batch.count === outcome.created.length, 'every created transfer has a leaf');
  return { outcome, few };
}

/**
 * The accounts a batch locks and the pending transfers it resolves. The transfer ids it
 * names are made only when asked for: a batch that takes its ids for new reads them only
 * when it turns out unsure (batchIds was 4 % of the Node time of a bench:ledger batch run).
 */
function batchIds(transfers: readonly TransferInput[]) {
  const accountIds = new Set<string>();
  const pending = new Set<string>();
  const resolves = TRANSFER_FLAG.post | TRANSFER_FLAG.void;
  for (const t of transfers) {
    if (isValidId(t.debitAccountId)) accountIds.add(t.debitAccountId);
    if (isValidId(t.creditAccountId)) accountIds.add(t.creditAccountId);
    if (isValidId(t.pendingId) && transferFlags(t) & resolves) pending.add(t.pendingId);
  }
  const transferIds = () => {
    const ids = new Set<string>(pending);
    for (const t of transfers) if (isValidId(t.id)) ids.add(t.id);
    return [...ids];
  };
  return { accountIds, transferIds, pendingIds: [...pending] };
}

/**
 * The batch's one audit entry: the Merkle root over its created transfers' canonical bytes
 * (canonical.ts), in creation order, and how many there are. Everything else about each
 * transfer is in its row, which the root pins (batch-audit.ts checks it).
 */
function batchEntry(batch: BatchLeaves, ctx: LedgerContext): AuditEntryInput {
  return {
    action: BATCH_ACTION,
    actor: ctx.actor,
    subject: { type: BATCH_SUBJECT, id: batch.id },
    source: ctx.source,
    outcome: 'success',
    detail: {
      root: merkleRootPacked(batch.leaves, batch.count).toString('hex'),
      transfers: batch.count,
    },
  };
}

/** One expired pending transfer: a change of state, audited one entry per transfer. */
function expiryEntry(t: TransferRecord): AuditEntryInput {
  return {
    action: 'ledger.transfer.expired',
    actor: SYSTEM.actor,
    subject: { type: 'transfer', id: t.id },
    outcome: 'success',
    // Lean: the transfer row holds the accounts and code; the entry records what moved.
    detail: {
      amount: t.amount.toString(),
      currency: t.currency,
      pendingId: t.pendingId ?? undefined,
    },
  };
}

async function accountBatch(
  deps: LedgerDeps,
  tx: Tx,
  inputs: readonly AccountInput[],
  ctx: LedgerContext,
): Promise<{ results: CreateAccountResult[]; created: readonly AccountState[] }> {
  const ids = [...new Set(inputs.map((a) => a.id).filter(isValidId))];
  // Local to this transaction, which runs only the ledger's statements: no restore.
  if (inputs.length > store.INSERT_TRANSFERS_MAX) await store.useCustomPlans(tx);
  const existing = new Map((await store.selectAccounts(tx, ids)).map((a) => [a.id, a]));
  const { results, created } = applyAccounts(existing, inputs, deps.clock.nowMs());
  const inserted = await store.insertAccounts(tx, created);
  if (inserted !== created.length) {
    // A concurrent batch created one of these ids; the retry will answer `exists`.
    throw Object.assign(new Error('account created concurrently'), { code: UNIQUE_VIOLATION });
  }
  await deps.audit.append(
    tx,
    created.map((a) => ({
      action: 'ledger.account.created',
      actor: ctx.actor,
      subject: { type: 'account', id: a.id },
      source: ctx.source,
      outcome: 'success' as const,
      detail: { currency: a.currency, code: a.code, flags: a.flags },
    })),
  );
  return {
    results: results.map((result, index) => ({ index, id: inputs[index]!.id, result })),
    created,
  };
}

async function expireBatch(
  deps: LedgerDeps,
  tx: Tx,
): Promise<{ expired: number; scanned: number }> {
  const now = deps.clock.now();
  // Up to a full batch of ids per statement; local to this transaction: no restore.
  await store.useCustomPlans(tx);
  const ids = await store.selectExpiredIds(tx, now, deps.limits.ledgerTransferBatchSizeMax);
  if (ids.length === 0) return { expired: 0, scanned: 0 };
  // Locked before their accounts, as a batch does (lockAndLoad); read locked, they are as a
  // post or void that resolved one meanwhile left them.
  const candidates = await store.lockTransfers(tx, ids);
  const accountIds = new Set(candidates.flatMap((t) => [t.debitAccountId, t.creditAccountId]));
  const accounts = new Map((await store.lockAccounts(tx, [...accountIds])).map((a) => [a.id, a]));
  const { expired, touched } = expirePending(
    { accounts, transfers: new Map() },
    candidates,
    now.getTime(),
  );
  await store.writeBatch(tx, {
    restorePlanMode: undefined,
    transfers: [],
    touched,
    postedOnly: false,
    resolved: expired,
    batch: null,
    also: null,
  });
  await deps.audit.append(tx, expired.map(expiryEntry));
  return { expired: expired.length, scanned: ids.length };
}

async function check(tx: Tx): Promise<LedgerCheckResult> {
  const account = await store.firstAccountDiscrepancy(tx);
  if (account) return { ok: false, discrepancy: account };
  const orphan = await store.firstOrphanTransfer(tx);
  if (orphan) return { ok: false, discrepancy: orphan };
  const totals = await store.currencyTotals(tx);
  for (const t of totals) {
    if (t.debitsPosted !== t.creditsPosted) {
      return {
        ok: false,
        discrepancy:
          `currency ${t.currency}: debits posted ${t.debitsPosted} ` +
          `≠ credits posted ${t.creditsPosted}`,
      };
    }
    if (t.debitsPending !== t.creditsPending) {
      return {
        ok: false,
        discrepancy:
          `currency ${t.currency}: debits pending ${t.debitsPending} ` +
          `≠ credits pending ${t.creditsPending}`,
      };
    }
  }
  const { accounts, transfers } = await store.counts(tx);
  return { ok: true, currencies: totals.length, accounts, transfers };
}

function inOrder<T extends { id: string }>(ids: readonly string[], found: readonly T[]): T[] {
  const byId = new Map(found.map((x) => [x.id, x]));
  return ids.flatMap((id) => byId.get(id) ?? []);
}

function toAccount(a: AccountState): Account {
  return {
    id: a.id,
    currency: a.currency,
    code: a.code,
    flags: {
      debitsMustNotExceedCredits: (a.flags & ACCOUNT_FLAG.debitsMustNotExceedCredits) !== 0,
      creditsMustNotExceedDebits: (a.flags & ACCOUNT_FLAG.creditsMustNotExceedDebits) !== 0,
    },
    userData: a.userData,
    debitsPending: a.debitsPending,
    debitsPosted: a.debitsPosted,
    creditsPending: a.creditsPending,
    creditsPosted: a.creditsPosted,
    createdAt: new Date(a.createdAtMs),
  };
}

function toTransfer(t: TransferRecord): Transfer {
  return {
    id: t.id,
    debitAccountId: t.debitAccountId,
    creditAccountId: t.creditAccountId,
    amount: t.amount,
    pendingId: t.pendingId,
    currency: t.currency,
    code: t.code,
    flags: {
      linked: (t.flags & TRANSFER_FLAG.linked) !== 0,
      pending: (t.flags & TRANSFER_FLAG.pending) !== 0,
      postPendingTransfer: (t.flags & TRANSFER_FLAG.post) !== 0,
      voidPendingTransfer: (t.flags & TRANSFER_FLAG.void) !== 0,
    },
    timeoutSeconds: t.timeoutSeconds,
    userData: t.userData,
    createdAt: new Date(t.createdAtMs),
    state: t.state,
  };
}

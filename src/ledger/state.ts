import { assert } from '../lib/assert.ts';
import { isUuid } from '../lib/ids.ts';
import { isCurrency } from '../money/index.ts';
import type { AccountResultCode, TransferResultCode } from './errors.ts';

// The ledger's state machine: pure, no SQL, no clock of its own. The store loads and locks
// the rows a batch touches into a BatchState; applyTransfers() then runs the batch in input
// order against that state, exactly as the database would have seen it one transfer at a
// time, and reports what to write back. Keeping this pure lets the rules be unit-tested
// without a database and keeps the transaction short: all decisions happen in memory.

export const INT8_MAX = 9_223_372_036_854_775_807n;
export const NIL_UUID = '00000000-0000-0000-0000-000000000000';
const CODE_MAX = 65_535;

export const TRANSFER_FLAG = { linked: 1, pending: 2, post: 4, void: 8 } as const;
export const ACCOUNT_FLAG = {
  debitsMustNotExceedCredits: 1,
  creditsMustNotExceedDebits: 2,
} as const;

export type PendingState = 'pending' | 'posted' | 'voided' | 'expired';

export interface AccountInput {
  id: string;
  currency: string;
  code: number;
  flags?: { debitsMustNotExceedCredits?: boolean; creditsMustNotExceedDebits?: boolean };
  userData?: string;
}

export interface TransferInput {
  id: string;
  debitAccountId?: string;
  creditAccountId?: string;
  amount?: bigint;
  currency?: string;
  code?: number;
  flags?: {
    linked?: boolean;
    pending?: boolean;
    postPendingTransfer?: boolean;
    voidPendingTransfer?: boolean;
  };
  pendingId?: string;
  timeoutSeconds?: number;
  userData?: string;
}

/**
 * What a transfer batch needs of an account: its currency, flags and balances (mutated in
 * place). The rest of the row is not read, which keeps the lock short.
 */
export interface AccountBalances {
  id: string;
  currency: string;
  flags: number;
  debitsPending: bigint;
  debitsPosted: bigint;
  creditsPending: bigint;
  creditsPosted: bigint;
  /**
   * Present when the account was read without its lock (it has no balance limit, see
   * store.lockAccounts): its balances as read (debits pending, debits posted, credits
   * pending, credits posted). The batch then writes what it changed, added to the row as
   * it is at the write, since a concurrent batch may have moved it since the read.
   */
  asRead?: readonly [bigint, bigint, bigint, bigint];
}

/** An account as stored. */
export interface AccountState extends AccountBalances {
  code: number;
  userData: string | null;
  createdAtMs: number;
  debitsPending: bigint;
  debitsPosted: bigint;
  creditsPending: bigint;
  creditsPosted: bigint;
}

/** A stored (or, within a batch, just created) transfer. */
export interface TransferRecord {
  id: string;
  debitAccountId: string;
  creditAccountId: string;
  amount: bigint;
  pendingId: string | null;
  currency: string;
  code: number;
  flags: number;
  timeoutSeconds: number;
  userData: string | null;
  createdAtMs: number;
  /** Only pending transfers have a state. */
  state: PendingState | null;
}

export interface BatchState {
  /** Every account the batch may touch, locked by the caller; each key is a valid id. */
  accounts: Map<string, AccountBalances>;
  /** Stored transfers with the batch's ids or referenced as pending; created ones join. */
  transfers: Map<string, TransferRecord>;
}

export interface BatchContext {
  nowMs: number;
  pendingTimeoutSecondsMax: number;
}

export interface BatchOutcome {
  results: TransferResultCode[];
  /** Transfers to insert, in input order. */
  created: TransferRecord[];
  /** Stored pending transfers whose state changed (not those created in this batch). */
  resolved: TransferRecord[];
  /** Accounts whose balances changed. */
  touched: AccountBalances[];
}

export function isValidId(id: string | undefined): id is string {
  return id !== undefined && isUuid(id) && id !== NIL_UUID;
}

function isValidCode(code: number | undefined): code is number {
  return code !== undefined && Number.isInteger(code) && code >= 1 && code <= CODE_MAX;
}

export function transferFlags(input: TransferInput): number {
  const f = input.flags;
  if (!f) return 0;
  return (
    (f.linked ? TRANSFER_FLAG.linked : 0) |
    (f.pending ? TRANSFER_FLAG.pending : 0) |
    (f.postPendingTransfer ? TRANSFER_FLAG.post : 0) |
    (f.voidPendingTransfer ? TRANSFER_FLAG.void : 0)
  );
}

function accountFlags(input: AccountInput): number {
  const f = input.flags;
  if (!f) return 0;
  return (
    (f.debitsMustNotExceedCredits ? ACCOUNT_FLAG.debitsMustNotExceedCredits : 0) |
    (f.creditsMustNotExceedDebits ? ACCOUNT_FLAG.creditsMustNotExceedDebits : 0)
  );
}

function isLinked(input: TransferInput): boolean {
  return input.flags?.linked === true;
}

/** An undo record: how to take back one in-memory effect of a linked chain. */
type Undo =
  | { kind: 'balances'; account: AccountBalances; before: [bigint, bigint, bigint, bigint] }
  | { kind: 'created'; record: TransferRecord }
  | { kind: 'state'; record: TransferRecord; before: PendingState | null };

/** Runs one batch of transfers against state, in order, with linked-chain atomicity. */
export function applyTransfers(
  state: BatchState,
  inputs: readonly TransferInput[],
  ctx: BatchContext,
): BatchOutcome {
  const steps = applyTransfersInChunks(state, inputs, ctx, Infinity);
  for (;;) {
    const step = steps.next();
    if (step.done) return step.value;
  }
}

/**
 * The same, handing out the transfers it creates as soon as they are final, in input order,
 * at least `chunk` at a time: a transfer is final once no linked chain is open, since only an
 * open chain can still take its members back. The caller can store each part while the rest
 * of the batch is decided (the ledger streams them into its COPY). Returns the outcome, whose
 * `created` holds every part handed out.
 */
export function* applyTransfersInChunks(
  state: BatchState,
  inputs: readonly TransferInput[],
  ctx: BatchContext,
  chunk: number,
): Generator<TransferRecord[], BatchOutcome> {
  const machine = new Machine(state, ctx);
  const n = inputs.length;
  const results: TransferResultCode[] = new Array<TransferResultCode>(n);
  // A chain still open at the end of the batch cannot be committed: it fails as a whole.
  let openStart = n;
  if (n > 0 && isLinked(inputs[n - 1]!)) {
    openStart = n - 1;
    while (openStart > 0 && isLinked(inputs[openStart - 1]!)) openStart--;
  }
  for (let i = openStart; i < n; i++) {
    results[i] = i === n - 1 ? 'linked_event_chain_open' : 'linked_event_failed';
  }
  let chainStart = -1;
  let handedOut = 0;
  for (let i = 0; i < openStart; i++) {
    const input = inputs[i]!;
    if (chainStart < 0 && isLinked(input)) chainStart = i;
    // Undo records are kept only inside a chain: a lone transfer that fails changed nothing.
    machine.journaling = chainStart >= 0;
    const result = machine.apply(input);
    results[i] = result;
    if (result !== 'ok' && chainStart >= 0) {
      machine.rollback();
      for (let j = chainStart; j < i; j++) results[j] = 'linked_event_failed';
      let j = i;
      while (isLinked(inputs[j]!)) {
        j++;
        results[j] = 'linked_event_failed';
      }
      i = j;
      chainStart = -1;
    } else if (!isLinked(input)) {
      chainStart = -1;
      machine.journal.length = 0;
    }
    if (chainStart < 0 && machine.createdCount - handedOut >= chunk) {
      yield machine.createdSince(handedOut);
      handedOut = machine.createdCount;
    }
  }
  if (machine.createdCount > handedOut) yield machine.createdSince(handedOut);
  return machine.outcome(results);
}

class Machine {
  readonly journal: Undo[] = [];
  journaling = false;
  private readonly created: TransferRecord[] = [];
  private readonly stateBefore = new Map<TransferRecord, PendingState | null>();
  private readonly touched = new Set<AccountBalances>();

  constructor(
    private readonly state: BatchState,
    private readonly ctx: BatchContext,
  ) {}

  apply(input: TransferInput): TransferResultCode {
    const invalid = validateTransfer(input, this.ctx.pendingTimeoutSecondsMax, this.state.accounts);
    if (invalid) return invalid;
    const existing = this.state.transfers.get(input.id);
    if (existing) return compareExisting(input, existing);
    const flags = transferFlags(input);
    if (flags & (TRANSFER_FLAG.post | TRANSFER_FLAG.void)) return this.resolvePending(input, flags);
    return this.createTransfer(input, flags);
  }

  private createTransfer(input: TransferInput, flags: number): TransferResultCode {
    const dr = this.state.accounts.get(input.debitAccountId!);
    if (!dr) return 'debit_account_not_found';
    const cr = this.state.accounts.get(input.creditAccountId!);
    if (!cr) return 'credit_account_not_found';
    if (dr.currency !== cr.currency) return 'accounts_must_have_the_same_currency';
    if (input.currency !== dr.currency) return 'transfer_must_have_the_same_currency_as_accounts';
    const amount = input.amount!;
    if (dr.debitsPending + dr.debitsPosted + amount > INT8_MAX) return 'overflows_debits';
    if (cr.creditsPending + cr.creditsPosted + amount > INT8_MAX) return 'overflows_credits';
    if (
      dr.flags & ACCOUNT_FLAG.debitsMustNotExceedCredits &&
      dr.debitsPending + dr.debitsPosted + amount > dr.creditsPosted
    ) {
      return 'exceeds_credits';
    }
    if (
      cr.flags & ACCOUNT_FLAG.creditsMustNotExceedDebits &&
      cr.creditsPending + cr.creditsPosted + amount > cr.debitsPosted
    ) {
      return 'exceeds_debits';
    }
    const pending = (flags & TRANSFER_FLAG.pending) !== 0;
    this.saveBalances(dr);
    this.saveBalances(cr);
    if (pending) {
      dr.debitsPending += amount;
      cr.creditsPending += amount;
    } else {
      dr.debitsPosted += amount;
      cr.creditsPosted += amount;
    }
    this.insert({
      id: input.id,
      debitAccountId: dr.id,
      creditAccountId: cr.id,
      amount,
      pendingId: null,
      currency: dr.currency,
      code: input.code!,
      flags,
      timeoutSeconds: input.timeoutSeconds ?? 0,
      userData: input.userData ?? null,
      createdAtMs: this.ctx.nowMs,
      state: pending ? 'pending' : null,
    });
    return 'ok';
  }

  private resolvePending(input: TransferInput, flags: number): TransferResultCode {
    const p = this.state.transfers.get(input.pendingId!);
    const failed = checkPending(input, p, this.ctx.nowMs);
    if (failed) return failed;
    assert(p && p.state === 'pending', 'checkPending passed a transfer that is not pending');
    const post = (flags & TRANSFER_FLAG.post) !== 0;
    const amount = post ? (input.amount ?? p.amount) : p.amount;
    const dr = this.state.accounts.get(p.debitAccountId);
    const cr = this.state.accounts.get(p.creditAccountId);
    assert(dr && cr, `accounts of pending transfer ${p.id} are not locked`);
    this.saveBalances(dr);
    this.saveBalances(cr);
    dr.debitsPending -= p.amount;
    cr.creditsPending -= p.amount;
    assert(dr.debitsPending >= 0n && cr.creditsPending >= 0n, `pending balance below 0 (${p.id})`);
    if (post) {
      dr.debitsPosted += amount;
      cr.creditsPosted += amount;
      assert(dr.debitsPosted <= INT8_MAX && cr.creditsPosted <= INT8_MAX, 'posted overflow');
    }
    if (this.journaling) this.journal.push({ kind: 'state', record: p, before: p.state });
    if (!this.stateBefore.has(p)) this.stateBefore.set(p, p.state);
    p.state = post ? 'posted' : 'voided';
    this.insert({
      id: input.id,
      debitAccountId: p.debitAccountId,
      creditAccountId: p.creditAccountId,
      amount,
      pendingId: p.id,
      currency: p.currency,
      code: p.code,
      flags,
      timeoutSeconds: 0,
      userData: input.userData ?? null,
      createdAtMs: this.ctx.nowMs,
      state: null,
    });
    return 'ok';
  }

  private saveBalances(a: AccountBalances): void {
    this.touched.add(a);
    if (!this.journaling) return;
    const before: [bigint, bigint, bigint, bigint] = [
      a.debitsPending,
      a.debitsPosted,
      a.creditsPending,
      a.creditsPosted,
    ];
    this.journal.push({ kind: 'balances', account: a, before });
  }

  get createdCount(): number {
    return this.created.length;
  }

  createdSince(from: number): TransferRecord[] {
    return this.created.slice(from);
  }

  private insert(record: TransferRecord): void {
    this.state.transfers.set(record.id, record);
    this.created.push(record);
    if (this.journaling) this.journal.push({ kind: 'created', record });
  }

  /** Takes back every effect recorded since the current chain began. */
  rollback(): void {
    for (let k = this.journal.length - 1; k >= 0; k--) {
      const undo = this.journal[k]!;
      if (undo.kind === 'balances') {
        const a = undo.account;
        [a.debitsPending, a.debitsPosted, a.creditsPending, a.creditsPosted] = undo.before;
      } else if (undo.kind === 'created') {
        const last = this.created.pop();
        assert(last === undo.record, 'rollback out of order');
        this.state.transfers.delete(undo.record.id);
      } else {
        undo.record.state = undo.before;
      }
    }
    this.journal.length = 0;
  }

  outcome(results: TransferResultCode[]): BatchOutcome {
    const resolved: TransferRecord[] = [];
    if (this.stateBefore.size > 0) {
      const createdIds = new Set(this.created);
      for (const [record, before] of this.stateBefore) {
        if (!createdIds.has(record) && record.state !== before) resolved.push(record);
      }
    }
    for (const a of this.touched) assertBalances(a);
    return { results, created: this.created, resolved, touched: [...this.touched] };
  }
}

function assertBalances(a: AccountBalances): void {
  // Checked for every touched account of every batch: the messages are built only on
  // failure, since formatting them eagerly cost more than the checks.
  const { debitsPending: dp, debitsPosted: dpo, creditsPending: cp, creditsPosted: cpo } = a;
  const low = dp < 0n || dpo < 0n || cp < 0n || cpo < 0n;
  if (low || dp > INT8_MAX || dpo > INT8_MAX || cp > INT8_MAX || cpo > INT8_MAX) {
    assert(false, `account ${a.id} balance out of range: ${dp} ${dpo} ${cp} ${cpo}`);
  }
  if (a.flags & ACCOUNT_FLAG.debitsMustNotExceedCredits && !(dp + dpo <= cpo)) {
    assert(false, `account ${a.id} debits > credits`);
  }
  if (a.flags & ACCOUNT_FLAG.creditsMustNotExceedDebits && !(cp + cpo <= dpo)) {
    assert(false, `account ${a.id} credits > debits`);
  }
}

/** Checks a transfer on its own (precedence group 2); undefined when it passes. */
export function validateTransfer(
  t: TransferInput,
  timeoutSecondsMax: number,
  known?: ReadonlyMap<string, unknown>,
): TransferResultCode | undefined {
  assert(
    t.amount === undefined || typeof t.amount === 'bigint',
    'transfer amount must be a bigint',
  );
  const timeout = t.timeoutSeconds ?? 0;
  assert(Number.isSafeInteger(timeout) && timeout >= 0, 'timeoutSeconds must be an integer ≥ 0');
  if (!isValidId(t.id)) return 'id_invalid';
  const flags = transferFlags(t);
  const kinds = flags & (TRANSFER_FLAG.pending | TRANSFER_FLAG.post | TRANSFER_FLAG.void);
  if (kinds & (kinds - 1)) return 'flags_are_mutually_exclusive';
  const resolves = (flags & (TRANSFER_FLAG.post | TRANSFER_FLAG.void)) !== 0;
  if (t.pendingId !== undefined && !resolves) return 'pending_id_must_be_zero';
  if (resolves) {
    if (t.pendingId === undefined) return 'pending_id_must_not_be_zero';
    if (!isValidId(t.pendingId)) return 'pending_id_invalid';
    if (t.pendingId === t.id) return 'pending_id_must_be_different';
  }
  if (timeout > 0 && !(flags & TRANSFER_FLAG.pending))
    return 'timeout_reserved_for_pending_transfer';
  if (timeout > timeoutSecondsMax) return 'timeout_exceeds_limit';
  if (resolves) {
    // A post or void takes its accounts, currency and code from the pending transfer; the
    // ones it gives are compared with the pending transfer later.
    if (t.amount !== undefined && t.amount <= 0n) return 'amount_must_be_positive';
    return undefined;
  }
  // An id that is a key of `known` (the batch's locked accounts, every one a valid id) is
  // not checked character by character again: a batch checks each account id when it
  // gathers the ids to lock, and these checks were a tenth of a large batch's Node time.
  const dr = t.debitAccountId;
  if (!(dr !== undefined && known?.has(dr)) && !isValidId(dr)) return 'debit_account_id_invalid';
  const cr = t.creditAccountId;
  if (!(cr !== undefined && known?.has(cr)) && !isValidId(cr)) return 'credit_account_id_invalid';
  if (t.debitAccountId === t.creditAccountId) return 'accounts_must_be_different';
  if (t.amount === undefined || t.amount <= 0n) return 'amount_must_be_positive';
  if (!isValidCode(t.code)) return 'code_invalid';
  if (t.currency === undefined || !isCurrency(t.currency)) return 'currency_invalid';
  return undefined;
}

/** Compares a retry with the stored transfer of the same id (precedence group 3). */
function compareExisting(t: TransferInput, e: TransferRecord): TransferResultCode {
  if (transferFlags(t) !== e.flags) return 'exists_with_different_flags';
  if (t.pendingId !== undefined && t.pendingId !== e.pendingId) {
    return 'exists_with_different_pending_id';
  }
  if (t.timeoutSeconds !== undefined && t.timeoutSeconds !== e.timeoutSeconds) {
    return 'exists_with_different_timeout';
  }
  if (t.debitAccountId !== undefined && t.debitAccountId !== e.debitAccountId) {
    return 'exists_with_different_debit_account_id';
  }
  if (t.creditAccountId !== undefined && t.creditAccountId !== e.creditAccountId) {
    return 'exists_with_different_credit_account_id';
  }
  if (t.amount !== undefined && t.amount !== e.amount) return 'exists_with_different_amount';
  if (t.currency !== undefined && t.currency !== e.currency)
    return 'exists_with_different_currency';
  if (t.code !== undefined && t.code !== e.code) return 'exists_with_different_code';
  if (t.userData !== undefined && t.userData !== e.userData)
    return 'exists_with_different_user_data';
  return 'exists';
}

/** Checks a post or void against its pending transfer (precedence group 5). */
function checkPending(
  t: TransferInput,
  p: TransferRecord | undefined,
  nowMs: number,
): TransferResultCode | undefined {
  if (!p) return 'pending_transfer_not_found';
  if (!(p.flags & TRANSFER_FLAG.pending)) return 'pending_transfer_not_pending';
  if (t.debitAccountId !== undefined && t.debitAccountId !== p.debitAccountId) {
    return 'pending_transfer_has_different_debit_account_id';
  }
  if (t.creditAccountId !== undefined && t.creditAccountId !== p.creditAccountId) {
    return 'pending_transfer_has_different_credit_account_id';
  }
  if (t.currency !== undefined && t.currency !== p.currency) {
    return 'pending_transfer_has_different_currency';
  }
  if (t.code !== undefined && t.code !== p.code) return 'pending_transfer_has_different_code';
  if (p.state === 'posted') return 'pending_transfer_already_posted';
  if (p.state === 'voided') return 'pending_transfer_already_voided';
  if (p.state === 'expired' || isPastTimeout(p, nowMs)) return 'pending_transfer_expired';
  const post = (transferFlags(t) & TRANSFER_FLAG.post) !== 0;
  if (post && t.amount !== undefined && t.amount > p.amount) {
    return 'exceeds_pending_transfer_amount';
  }
  if (!post && t.amount !== undefined && t.amount !== p.amount) {
    return 'pending_transfer_has_different_amount';
  }
  return undefined;
}

function isPastTimeout(p: TransferRecord, nowMs: number): boolean {
  return p.timeoutSeconds > 0 && nowMs >= p.createdAtMs + p.timeoutSeconds * 1000;
}

/**
 * Expires the given pending transfers whose timeout has passed: releases their pending
 * amounts and sets their state. Returns the expired transfers and the accounts changed.
 */
export function expirePending(
  state: BatchState,
  candidates: readonly TransferRecord[],
  nowMs: number,
): { expired: TransferRecord[]; touched: AccountBalances[] } {
  const expired: TransferRecord[] = [];
  const touched = new Set<AccountBalances>();
  for (const p of candidates) {
    if (p.state !== 'pending' || !isPastTimeout(p, nowMs)) continue;
    const dr = state.accounts.get(p.debitAccountId);
    const cr = state.accounts.get(p.creditAccountId);
    assert(dr && cr, `accounts of pending transfer ${p.id} are not locked`);
    dr.debitsPending -= p.amount;
    cr.creditsPending -= p.amount;
    p.state = 'expired';
    touched.add(dr);
    touched.add(cr);
    expired.push(p);
  }
  for (const a of touched) assertBalances(a);
  return { expired, touched: [...touched] };
}

/** Runs one batch of account creations against the stored accounts with the same ids. */
export function applyAccounts(
  existing: Map<string, AccountState>,
  inputs: readonly AccountInput[],
  nowMs: number,
): { results: AccountResultCode[]; created: AccountState[] } {
  const created: AccountState[] = [];
  const results = inputs.map((input): AccountResultCode => {
    if (!isValidId(input.id)) return 'id_invalid';
    const flags = accountFlags(input);
    if (flags === 3) return 'flags_are_mutually_exclusive';
    if (!isValidCode(input.code)) return 'code_invalid';
    if (!isCurrency(input.currency)) return 'currency_invalid';
    const userData = input.userData ?? null;
    const e = existing.get(input.id);
    if (e) {
      if (e.flags !== flags) return 'exists_with_different_flags';
      if (e.code !== input.code) return 'exists_with_different_code';
      if (e.currency !== input.currency) return 'exists_with_different_currency';
      if (e.userData !== userData) return 'exists_with_different_user_data';
      return 'exists';
    }
    const account: AccountState = {
      id: input.id,
      currency: input.currency,
      code: input.code,
      flags,
      userData,
      createdAtMs: nowMs,
      debitsPending: 0n,
      debitsPosted: 0n,
      creditsPending: 0n,
      creditsPosted: 0n,
    };
    existing.set(input.id, account);
    created.push(account);
    return 'ok';
  });
  return { results, created };
}

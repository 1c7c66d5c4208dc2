import {
  BinaryRows,
  binaryCopy,
  copyIn,
  int8Array,
  uuidArray,
  type Db,
  type Tx,
} from '../db/index.ts';
import { assert } from '../lib/assert.ts';
import type { AccountBalances, AccountState, PendingState, TransferRecord } from './state.ts';

// The only file of the ledger that speaks SQL. Every statement is set-based: a batch of up
// to 8190 transfers costs a fixed handful of round trips (lock, load, insert, update),
// never one per transfer. Arrays travel as single parameters and come back with unnest;
// new transfers, the largest write, go in with binary COPY.

interface AccountRow {
  id: string;
  currency: string;
  code: number;
  flags: number;
  user_data: string | null;
  created_at: Date;
  debits_pending: bigint;
  debits_posted: bigint;
  credits_pending: bigint;
  credits_posted: bigint;
}

interface TransferRow {
  id: string;
  debit_account_id: string;
  credit_account_id: string;
  amount: bigint;
  pending_id: string | null;
  currency: string;
  code: number;
  flags: number;
  timeout_seconds: number;
  user_data: string | null;
  created_at: Date;
  state: PendingState | null;
}

function toAccount(r: AccountRow): AccountState {
  return {
    id: r.id,
    currency: r.currency,
    code: r.code,
    flags: r.flags,
    userData: r.user_data,
    createdAtMs: r.created_at.getTime(),
    debitsPending: r.debits_pending,
    debitsPosted: r.debits_posted,
    creditsPending: r.credits_pending,
    creditsPosted: r.credits_posted,
  };
}

function toTransfer(r: TransferRow): TransferRecord {
  return {
    id: r.id,
    debitAccountId: r.debit_account_id,
    creditAccountId: r.credit_account_id,
    amount: r.amount,
    pendingId: r.pending_id,
    currency: r.currency,
    code: r.code,
    flags: r.flags,
    timeoutSeconds: r.timeout_seconds,
    userData: r.user_data,
    createdAtMs: r.created_at.getTime(),
    state: r.state,
  };
}

/**
 * Locks the accounts in id order. Every batch locks in the same (sorted) order, so two
 * batches over overlapping accounts wait for each other instead of deadlocking.
 */
export async function lockAccounts(tx: Tx, ids: readonly string[]): Promise<AccountBalances[]> {
  if (ids.length === 0) return [];
  // Only what the batch decides on: each column read costs Node a parse per row.
  const rows = await tx<AccountRow[]>`
    select id, currency, flags, debits_pending, debits_posted, credits_pending, credits_posted
    from ledger_accounts where id = any(${uuidArray(ids)}::uuid[])
    order by id for update`;
  return rows.map((r) => ({
    id: r.id,
    currency: r.currency,
    flags: r.flags,
    debitsPending: r.debits_pending,
    debitsPosted: r.debits_posted,
    creditsPending: r.credits_pending,
    creditsPosted: r.credits_posted,
  }));
}

export async function selectAccounts(db: Db, ids: readonly string[]): Promise<AccountState[]> {
  if (ids.length === 0) return [];
  const rows = await db<AccountRow[]>`
    select id, currency, code, flags, user_data, created_at,
           debits_pending, debits_posted, credits_pending, credits_posted
    from ledger_accounts where id = any(${uuidArray(ids)}::uuid[])`;
  return rows.map(toAccount);
}

export async function selectTransfers(db: Db, ids: readonly string[]): Promise<TransferRecord[]> {
  if (ids.length === 0) return [];
  const rows = await db<TransferRow[]>`
    select id, debit_account_id, credit_account_id, amount, pending_id, currency, code, flags,
           timeout_seconds, user_data, created_at, state
    from ledger_transfers where id = any(${uuidArray(ids)}::uuid[])`;
  return rows.map(toTransfer);
}

/** The accounts of the given transfers, read without locks (to know what to lock). */
export async function selectTransferAccountIds(db: Db, ids: readonly string[]): Promise<string[]> {
  if (ids.length === 0) return [];
  const rows = await db<{ id: string }[]>`
    select debit_account_id as id from ledger_transfers where id = any(${uuidArray(ids)}::uuid[])
    union
    select credit_account_id from ledger_transfers where id = any(${uuidArray(ids)}::uuid[])`;
  return rows.map((r) => r.id);
}

/** Inserts new accounts; returns how many were inserted (fewer means a concurrent insert). */
export async function insertAccounts(tx: Tx, accounts: readonly AccountState[]): Promise<number> {
  if (accounts.length === 0) return 0;
  const createdAt = new Date(accounts[0]!.createdAtMs);
  const rows = await tx`
    insert into ledger_accounts (id, currency, code, flags, user_data, created_at)
    select id, currency, code, flags, user_data, ${createdAt}::timestamptz
    from unnest(${uuidArray(accounts.map((a) => a.id))}::uuid[],
                ${accounts.map((a) => a.currency)}::text[], ${accounts.map((a) => a.code)}::int4[],
                ${accounts.map((a) => a.flags)}::int4[], ${accounts.map((a) => a.userData)}::text[])
      as u(id, currency, code, flags, user_data)
    on conflict (id) do nothing`;
  return rows.count;
}

/** Transfers per chunk of the COPY: the server inserts one while Node makes the next. */
export const COPY_CHUNK_TRANSFERS = 1024;

/**
 * Inserts the transfers a batch created, given in parts as they are decided (each part is
 * sent as soon as it is encoded); all share the batch's creation time. A transfer id stored
 * concurrently fails the COPY with 23505, which the batch retries (as `exists`). Binary COPY:
 * the server copies uuids, integers and times instead of parsing them.
 */
export async function insertTransfers(
  tx: Tx,
  parts: Iterable<readonly TransferRecord[]>,
): Promise<void> {
  await copyIn(
    tx`copy ledger_transfers (id, debit_account_id, credit_account_id, amount, pending_id,
         currency, code, flags, timeout_seconds, user_data, created_at, state, expires_at)
       from stdin (format binary)`,
    binaryCopy(transferRows(parts)),
  );
}

function* transferRows(parts: Iterable<readonly TransferRecord[]>): Generator<Buffer> {
  const rows = new BinaryRows();
  let createdAtMs: number | undefined;
  for (const part of parts) {
    for (const r of part) {
      createdAtMs ??= r.createdAtMs;
      assert(r.createdAtMs === createdAtMs, 'a batch writes one creation time');
      const tos = r.timeoutSeconds;
      rows
        .row(13)
        .uuid(r.id)
        .uuid(r.debitAccountId)
        .uuid(r.creditAccountId)
        .int8(r.amount)
        .uuid(r.pendingId)
        .text(r.currency)
        .int4(r.code)
        .int4(r.flags)
        .int4(tos)
        .text(r.userData)
        .timestamptz(createdAtMs)
        .text(r.state)
        .timestamptz(tos > 0 ? createdAtMs + tos * 1000 : null);
    }
    yield rows.take();
  }
}

/** Writes the balances computed in memory; the rows are locked by this transaction. */
export async function updateBalances(tx: Tx, accounts: readonly AccountBalances[]): Promise<void> {
  if (accounts.length === 0) return;
  const big = (f: (a: AccountBalances) => bigint) => int8Array(accounts.map(f));
  const result = await tx`
    update ledger_accounts a
    set debits_pending = u.dp, debits_posted = u.dpo,
        credits_pending = u.cp, credits_posted = u.cpo
    from unnest(${uuidArray(accounts.map((a) => a.id))}::uuid[],
                ${big((a) => a.debitsPending)}::int8[], ${big((a) => a.debitsPosted)}::int8[],
                ${big((a) => a.creditsPending)}::int8[], ${big((a) => a.creditsPosted)}::int8[])
      as u(id, dp, dpo, cp, cpo)
    where a.id = u.id`;
  assert(result.count === accounts.length, 'every touched account is updated');
}

/** Sets the state of stored pending transfers that were posted, voided or expired. */
export async function updatePendingStates(
  tx: Tx,
  records: readonly TransferRecord[],
): Promise<void> {
  if (records.length === 0) return;
  const result = await tx`
    update ledger_transfers t set state = u.st
    from unnest(${records.map((r) => r.id)}::uuid[], ${records.map((r) => r.state)}::text[])
      as u(id, st)
    where t.id = u.id and t.state = 'pending'`;
  assert(result.count === records.length, 'only pending transfers change state');
}

/** Ids of pending transfers whose deadline has passed, oldest first. */
export async function selectExpiredIds(db: Db, now: Date, limit: number): Promise<string[]> {
  const rows = await db<{ id: string }[]>`
    select id from ledger_transfers
    where state = 'pending' and expires_at is not null and expires_at <= ${now}::timestamptz
    order by expires_at, id limit ${limit}`;
  return rows.map((r) => r.id);
}

/** The first account whose balances differ from the sums of its transfers, if any. */
export async function firstAccountDiscrepancy(db: Db): Promise<string | undefined> {
  const rows = await db<Record<string, string>[]>`
    with d as (
      select debit_account_id as id,
             coalesce(sum(amount) filter (where state = 'pending'), 0) as pending,
             coalesce(sum(amount) filter (where flags & 10 = 0), 0) as posted
      from ledger_transfers group by debit_account_id
    ), c as (
      select credit_account_id as id,
             coalesce(sum(amount) filter (where state = 'pending'), 0) as pending,
             coalesce(sum(amount) filter (where flags & 10 = 0), 0) as posted
      from ledger_transfers group by credit_account_id
    )
    select a.id::text, a.currency,
           a.debits_pending::text as dp, coalesce(d.pending, 0)::text as dp_sum,
           a.debits_posted::text as dpo, coalesce(d.posted, 0)::text as dpo_sum,
           a.credits_pending::text as cp, coalesce(c.pending, 0)::text as cp_sum,
           a.credits_posted::text as cpo, coalesce(c.posted, 0)::text as cpo_sum
    from ledger_accounts a left join d on d.id = a.id left join c on c.id = a.id
    where a.debits_pending <> coalesce(d.pending, 0) or a.debits_posted <> coalesce(d.posted, 0)
       or a.credits_pending <> coalesce(c.pending, 0) or a.credits_posted <> coalesce(c.posted, 0)
    order by a.id limit 1`;
  const r = rows[0];
  if (!r) return undefined;
  const fields: [string, string, string][] = [
    ['debits_pending', r['dp']!, r['dp_sum']!],
    ['debits_posted', r['dpo']!, r['dpo_sum']!],
    ['credits_pending', r['cp']!, r['cp_sum']!],
    ['credits_posted', r['cpo']!, r['cpo_sum']!],
  ];
  const [name, stored, summed] = fields.find(([, a, b]) => a !== b)!;
  return (
    `account ${r['id']} (${r['currency']}): ${name} is ${stored} ` +
    `but its transfers sum to ${summed}`
  );
}

/** The first transfer whose accounts are missing or in another currency, if any. */
export async function firstOrphanTransfer(db: Db): Promise<string | undefined> {
  const rows = await db<{ id: string; side: string }[]>`
    select t.id::text, case when d.id is null or d.currency <> t.currency then 'debit'
                            else 'credit' end as side
    from ledger_transfers t
    left join ledger_accounts d on d.id = t.debit_account_id
    left join ledger_accounts c on c.id = t.credit_account_id
    where d.id is null or c.id is null or d.currency <> t.currency or c.currency <> t.currency
    order by t.id limit 1`;
  const r = rows[0];
  return r && `transfer ${r.id}: its ${r.side} account is missing or in another currency`;
}

export interface CurrencyTotals {
  currency: string;
  debitsPending: string;
  debitsPosted: string;
  creditsPending: string;
  creditsPosted: string;
}

/** Per-currency sums over all accounts, as exact decimal strings (numeric, no overflow). */
export async function currencyTotals(db: Db): Promise<CurrencyTotals[]> {
  return db<CurrencyTotals[]>`
    select currency,
           sum(debits_pending)::text as "debitsPending", sum(debits_posted)::text as "debitsPosted",
           sum(credits_pending)::text as "creditsPending",
           sum(credits_posted)::text as "creditsPosted"
    from ledger_accounts group by currency order by currency`;
}

export async function counts(db: Db): Promise<{ accounts: number; transfers: number }> {
  const [row] = await db<{ accounts: bigint; transfers: bigint }[]>`
    select (select count(*) from ledger_accounts) as accounts,
           (select count(*) from ledger_transfers) as transfers`;
  assert(row, 'count query returns one row');
  return { accounts: Number(row.accounts), transfers: Number(row.transfers) };
}

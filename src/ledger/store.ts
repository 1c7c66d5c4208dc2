import {
  BinaryRows,
  binaryCopy,
  copyIn,
  int8Array,
  storedUuidArray,
  uuidArray,
  type Db,
  type Fragment,
  type Tx,
} from '../db/index.ts';
import { assert } from '../lib/assert.ts';
import { uuidText } from '../lib/ids.ts';
import { writeUuid } from './canonical.ts';
import type { AccountBalances, AccountState, PendingState, TransferRecord } from './state.ts';

// The only file of the ledger that speaks SQL. Every statement is set-based: a batch of up
// to 8190 transfers costs a fixed handful of statements (lock, COPY, one write statement),
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
 * Makes tx plan its next statements once per connection (plan_cache_mode force_generic_plan,
 * local to tx) and answers the mode it replaced, for writeBatch to put back; the caller sends
 * it unawaited, so that the batch's statements go out behind it. Under the default (auto)
 * PostgreSQL planned the lock and write statements of every small batch again: their array
 * parameters make the generic plan look dearer than a custom one for a few rows, though both
 * are the same primary-key plans. That planning was ~290 µs of the ~1.1 ms of PostgreSQL CPU
 * a one-transfer transaction cost (pg_stat_statements: plans = calls). Large batches use
 * useCustomPlans instead.
 */
export async function useGenericPlans(tx: Tx): Promise<string> {
  return replacedPlanMode(await tx.unsafe<PlanMode[]>(USE_GENERIC_PLANS, [], PREPARED));
}

/**
 * Makes tx plan its next statements for their parameters each time (plan_cache_mode
 * force_custom_plan, local to tx) and answers the mode it replaced, for writeBatch to put
 * back; the caller sends it unawaited, ahead of the lock. For large batches, account batches
 * and expiry: their statements take arrays of up to 8190 ids, and under the default (auto)
 * PostgreSQL switches a prepared statement to its generic plan after five custom ones,
 * because that plan, costed for an array of ten, looks cheaper. The generic plan is made
 * once per connection, with the table sizes of that moment, and kept until the table is
 * next analyzed: made while ledger_transfers was nearly empty (a new server's first
 * minute, every benchmark), it checks a batch's ids by a sequential scan comparing each row
 * with every id of the array (a parameter's array is not hashed), so a batch of 8190 cost
 * 11.7 s at 93,000 stored transfers (auto_explain). Custom plans see the array and the
 * table as they are: an index probe per id (~5 ms of planning for a full batch).
 */
export async function useCustomPlans(tx: Tx): Promise<string> {
  return replacedPlanMode(await tx.unsafe<PlanMode[]>(USE_CUSTOM_PLANS, [], PREPARED));
}

/** useCustomPlans' statement, without parameters. */
export const USE_CUSTOM_PLANS = `select current_setting('plan_cache_mode') as was,
  set_config('plan_cache_mode', 'force_custom_plan', true)`;

/**
 * A statement without parameters prepared like a tagged one (postgres.js sends unsafe text
 * without parameters as a simple query, parsed and planned each time); `simple` is an option
 * the driver reads but its types leave out, hence an object rather than a literal.
 */
const PREPARED = { prepare: true, simple: false };

/**
 * useCustomPlans for a large batch in a transaction of its own that adds its balances before
 * it decides (addPostedReturningOld): hash and merge joins, sequential and bitmap scans are
 * switched off as well, so that the UPDATE takes the accounts' rows in id order whichever
 * plan remains: a nested loop over its id array (ascending) probing the primary key, or
 * (on a small table) the primary key's index scan outside. Local settings, which the batch's
 * COMMIT ends; writeBatch puts back the plan mode only.
 */
export async function useCustomPlansNestedLoops(tx: Tx): Promise<string> {
  return replacedPlanMode(await tx.unsafe<PlanMode[]>(USE_CUSTOM_NESTED_LOOPS, [], PREPARED));
}

const USE_CUSTOM_NESTED_LOOPS = `select current_setting('plan_cache_mode') as was,
  set_config('plan_cache_mode', 'force_custom_plan', true),
  set_config('enable_hashjoin', 'off', true), set_config('enable_mergejoin', 'off', true),
  set_config('enable_seqscan', 'off', true), set_config('enable_bitmapscan', 'off', true)`;

/** useGenericPlans' statement, without parameters. */
export const USE_GENERIC_PLANS = `select current_setting('plan_cache_mode') as was,
  set_config('plan_cache_mode', 'force_generic_plan', true)`;

/**
 * useGenericPlans for a batch in a transaction of its own, sent with BEGIN: nothing follows
 * its write but COMMIT, which ends a local setting anyway, so no mode is put back. A SET is
 * parsed but, unlike USE_GENERIC_PLANS' select, neither analysed nor planned, which a
 * simple-protocol message (never prepared) otherwise is every time: ~3 % of PostgreSQL's
 * CPU per one-transfer transaction (perf).
 */
export const OWN_GENERIC_PLANS = 'set local plan_cache_mode = force_generic_plan';

/** The answer of USE_GENERIC_PLANS. */
export interface PlanMode {
  was: string;
}

export function replacedPlanMode(rows: readonly PlanMode[]): string {
  const [row] = rows;
  assert(row, 'set_config answers one row');
  return row.was;
}

/**
 * The batch's accounts locked: those with a balance limit (flags 1 or 2) first, then the
 * others, each in id order. With readUnlimited (a small batch, up to INSERT_TRANSFERS_MAX
 * transfers) only those with a limit are locked here and the others read without a lock;
 * the batch's write locks them after, in id order (balancesAdded). Every batch, large or
 * small, thus takes rows in the same order, so two batches over overlapping accounts wait
 * for each other instead of deadlocking.
 *
 * An account without a limit is never locked: nothing a batch decides depends on its
 * balances (its currency and flags never change, and accounts are never deleted), so the
 * batch writes what it changed, added to the row (balancesUpdate), and the row is locked by
 * that write until COMMIT only. Such accounts are the ones every request shares (card
 * clearing, a merchant): locked here, each stayed locked while Node took the lock's answer
 * and decided, and concurrent batches queued behind it.
 */
export async function lockAccounts(
  tx: Tx,
  ids: readonly string[],
  readUnlimited = false,
): Promise<AccountBalances[]> {
  if (ids.length === 0) return [];
  if (ids.length > PACKED_LOCK_MIN) return lockAccountsPacked(tx, ids);
  // Only what the batch decides on: each column read costs Node a parse per row.
  if (!readUnlimited) {
    const locked = await tx<AccountRow[]>`
      select id, currency, flags, debits_pending, debits_posted, credits_pending, credits_posted
      from ledger_accounts where id = any(${uuidArray(ids)}::uuid[])
      order by flags = 0, id for update`;
    return locked.map((r) => toBalances(r, false));
  }
  const array = uuidArray(ids);
  const rows = await tx<AccountRow[]>`
    with l as (select id, currency, flags, debits_pending, debits_posted, credits_pending,
                      credits_posted
               from ledger_accounts where id = any(${array}::uuid[]) and flags <> 0
               order by id for update)
    select * from l
    union all
    select id, currency, flags, debits_pending, debits_posted, credits_pending, credits_posted
    from ledger_accounts where id = any(${array}::uuid[]) and flags = 0
    order by id`;
  return rows.map((r) => toBalances(r, true));
}

/**
 * Above this many accounts, the lock answers one value, the accounts packed as fixed-width
 * binary records (lockAccountsPacked), rather than a row each. A row each cost Node a
 * protocol message, seven text fields and four BigInt parses per account: a sixth of its
 * time in a batch of 1,000 transfers between random accounts (~1,800 accounts).
 */
const PACKED_LOCK_MIN = 128;

/**
 * Bytes of one packed account: id (16), flags (int4), the four balances (int8 each, in
 * debits pending, debits posted, credits pending, credits posted order) and the currency
 * (3 ASCII bytes, which its check constraint guarantees), all big-endian.
 */
const PACKED_ACCOUNT_BYTES = 16 + 4 + 4 * 8 + 3;

/**
 * lockAccounts for a large batch. The rows are locked in lockAccounts' order by the
 * subquery (its LockRows sits above its sort), then packed in id order.
 */
async function lockAccountsPacked(tx: Tx, ids: readonly string[]): Promise<AccountBalances[]> {
  const [row] = await tx<{ packed: string | null }[]>`
    select encode(string_agg(uuid_send(id) || int4send(flags) || int8send(debits_pending)
                             || int8send(debits_posted) || int8send(credits_pending)
                             || int8send(credits_posted) || convert_to(currency, 'UTF8'),
                             ''::bytea order by id), 'base64') as packed
    from (select id, currency, flags, debits_pending, debits_posted, credits_pending,
                 credits_posted
          from ledger_accounts where id = any(${uuidArray(ids)}::uuid[])
          order by flags = 0, id for update) a`;
  assert(row, 'an aggregate answers one row');
  return row.packed === null ? [] : unpackAccounts(Buffer.from(row.packed, 'base64'));
}

/**
 * The lock of a large batch whose accounts all have no balance limit and whose transfers
 * only post (ledger.ts, addAndLoad): adds each account's planned change to its posted
 * balances and answers the balances it replaced, packed as lockAccountsPacked packs them.
 * The UPDATE takes the rows in id order (the ids sorted, then a nested loop: see
 * useCustomPlansNestedLoops), the order every batch takes accounts without a limit in, and
 * holds them until COMMIT like the lock; the balances it answers are those of the row it
 * replaced, the latest committed version after any wait. A change that would overflow a
 * balance is not added (that balance keeps its value); the batch's write then sets what
 * it decided. `ids` must be ids this process read back from PostgreSQL (storedUuidArray);
 * the changes are exact integers (numbers below 2^53).
 */
export async function addPostedReturningOld(
  tx: Tx,
  ids: readonly string[],
  debitsPosted: readonly number[],
  creditsPosted: readonly number[],
): Promise<AccountBalances[]> {
  if (ids.length === 0) return [];
  const [row] = await tx<{ packed: string | null }[]>`
    with w as (
      update ledger_accounts a
      set debits_posted = case when a.debits_posted <= ${INT8_MAX_TEXT}::int8 - u.dpo
                               then a.debits_posted + u.dpo else a.debits_posted end,
          credits_posted = case when a.credits_posted <= ${INT8_MAX_TEXT}::int8 - u.cpo
                                then a.credits_posted + u.cpo else a.credits_posted end
      from (select * from unnest(${storedUuidArray(ids)}::uuid[],
                                 ${`{${debitsPosted.join(',')}}`}::int8[],
                                 ${`{${creditsPosted.join(',')}}`}::int8[]) as u(id, dpo, cpo)
            order by id) as u
      where a.id = u.id
      returning old.id, old.flags, old.debits_pending, old.debits_posted, old.credits_pending,
                old.credits_posted, old.currency)
    select encode(string_agg(uuid_send(id) || int4send(flags) || int8send(debits_pending)
                             || int8send(debits_posted) || int8send(credits_pending)
                             || int8send(credits_posted) || convert_to(currency, 'UTF8'),
                             ''::bytea), 'base64') as packed
    from w`;
  assert(row, 'an aggregate answers one row');
  return row.packed === null ? [] : unpackAccounts(Buffer.from(row.packed, 'base64'));
}

const INT8_MAX_TEXT = '9223372036854775807';

/** The accounts of lockAccountsPacked's answer. */
export function unpackAccounts(packed: Buffer): AccountBalances[] {
  assert(packed.length % PACKED_ACCOUNT_BYTES === 0, 'packed accounts are whole records');
  const accounts: AccountBalances[] = [];
  for (let o = 0; o < packed.length; o += PACKED_ACCOUNT_BYTES) {
    accounts.push({
      // One flat string (uuidText): a rope made of pieces was flattened again at each later
      // read (the Map of accounts, uuidArray's check and join), 0.5 µs per account more.
      id: uuidText(packed, o),
      currency: packed.toString('latin1', o + 52, o + 55),
      flags: packed.readInt32BE(o + 16),
      debitsPending: readInt8(packed, o + 20),
      debitsPosted: readInt8(packed, o + 28),
      creditsPending: readInt8(packed, o + 36),
      creditsPosted: readInt8(packed, o + 44),
    });
  }
  return accounts;
}

/**
 * A big-endian int8 as a bigint. Balances are almost always below 2^53, where one exact
 * number makes the bigint (readBigInt64BE makes several); larger ones take that path.
 */
function readInt8(b: Buffer, o: number): bigint {
  const high = b.readInt32BE(o);
  if (high >= 0 && high < 0x200000) return BigInt(high * 0x100000000 + b.readUInt32BE(o + 4));
  return b.readBigInt64BE(o);
}

/**
 * lockAccounts and, in the same statement, whether any of transferIds is stored: for a batch
 * of new transfers (the common case) the read of stored transfers is then not sent at all.
 * The check reads the statement's snapshot, taken before its lock waits; a transfer stored
 * meanwhile fails the batch's insert (23505), and the retry reads it.
 *
 * The check probes the primary key once per id, a correlated subquery PostgreSQL cannot turn
 * into a join: `id = any($1)` let a generic plan made while ledger_transfers was nearly empty
 * (a new server's first minute; every small batch plans once per connection) scan the whole
 * table, in every transaction, for as long as the connection kept that plan. One probe costs
 * less than a scan of the ten pages the planner assumes of a table never analyzed.
 */
export async function lockAccountsFindingTransfers(
  tx: Tx,
  ids: readonly string[],
  transferIds: readonly string[],
  readUnlimited: boolean,
): Promise<{ accounts: AccountBalances[]; anyStored: boolean }> {
  if (ids.length === 0) return { accounts: [], anyStored: transferIds.length > 0 };
  if (transferIds.length === 0) {
    return { accounts: await lockAccounts(tx, ids, readUnlimited), anyStored: false };
  }
  if (!readUnlimited || ids.length > PACKED_LOCK_MIN) {
    const locked = await tx<(AccountRow & { stored: boolean })[]>`
      select id, currency, flags, debits_pending, debits_posted, credits_pending, credits_posted,
             exists (select from unnest(${uuidArray(transferIds)}::uuid[]) as u(id)
                     where (select true from ledger_transfers t where t.id = u.id)) as stored
      from ledger_accounts where id = any(${uuidArray(ids)}::uuid[])
      order by flags = 0, id for update`;
    return {
      accounts: locked.map((r) => toBalances(r, false)),
      anyStored: locked.some((r) => r.stored),
    };
  }
  const array = uuidArray(ids);
  const rows = await tx<(AccountRow & { stored: boolean })[]>`
    with l as (select id, currency, flags, debits_pending, debits_posted, credits_pending,
                      credits_posted
               from ledger_accounts where id = any(${array}::uuid[]) and flags <> 0
               order by id for update)
    select a.*,
           exists (select from unnest(${uuidArray(transferIds)}::uuid[]) as u(id)
                   where (select true from ledger_transfers t where t.id = u.id)) as stored
    from (select * from l
          union all
          select id, currency, flags, debits_pending, debits_posted, credits_pending,
                 credits_posted
          from ledger_accounts where id = any(${array}::uuid[]) and flags = 0) a`;
  return { accounts: rows.map((r) => toBalances(r, true)), anyStored: rows.some((r) => r.stored) };
}

function toBalances(r: AccountRow, readUnlimited: boolean): AccountBalances {
  const a: AccountBalances = {
    id: r.id,
    currency: r.currency,
    flags: r.flags,
    debitsPending: r.debits_pending,
    debitsPosted: r.debits_posted,
    creditsPending: r.credits_pending,
    creditsPosted: r.credits_posted,
  };
  // An account lockAccounts read without its lock (no balance limit) keeps what it read.
  if (readUnlimited && a.flags === 0) {
    a.asRead = [a.debitsPending, a.debitsPosted, a.creditsPending, a.creditsPosted];
  }
  return a;
}

/** The transfers with these ids, locked in id order (a post or void's pending transfer). */
export async function lockTransfers(tx: Tx, ids: readonly string[]): Promise<TransferRecord[]> {
  if (ids.length === 0) return [];
  const rows = await tx<TransferRow[]>`
    select id, debit_account_id, credit_account_id, amount, pending_id, currency, code, flags,
           timeout_seconds, user_data, created_at, state
    from ledger_transfers where id = any(${uuidArray(ids)}::uuid[])
    order by id for update`;
  return rows.map(toTransfer);
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
  batchId: string,
): Promise<void> {
  await copyIn(
    tx`copy ledger_transfers (id, debit_account_id, credit_account_id, amount, pending_id,
         currency, code, flags, timeout_seconds, user_data, created_at, state, expires_at,
         batch_id)
       from stdin (format binary)`,
    binaryCopy(transferRows(parts, batchId)),
  );
}

/** Batches of at most this many transfers are inserted with one INSERT rather than COPY. */
export const INSERT_TRANSFERS_MAX = 64;

/** A small batch's transfers as one INSERT, a WITH item of writeBatch's statement. */
function transfersInsert(tx: Tx, records: readonly TransferRecord[], batchId: string): Fragment {
  const createdAtMs = records[0]!.createdAtMs;
  assert(
    records.every((r) => r.createdAtMs === createdAtMs),
    'a batch writes one creation time',
  );
  const [one] = records;
  if (records.length === 1 && one) return transferInsert(tx, one, batchId);
  const col = <T>(f: (r: TransferRecord) => T) => records.map(f);
  const expires = col((r) =>
    r.timeoutSeconds > 0 ? new Date(createdAtMs + r.timeoutSeconds * 1000).toISOString() : null,
  );
  // Unnested in the select list, in step (see SMALL_UNNEST): a batch this small is within it.
  return tx`
    insert into ledger_transfers (id, debit_account_id, credit_account_id, amount, pending_id,
      currency, code, flags, timeout_seconds, user_data, created_at, state, expires_at, batch_id)
    select unnest(${uuidArray(col((r) => r.id))}::uuid[]),
           unnest(${uuidArray(col((r) => r.debitAccountId))}::uuid[]),
           unnest(${uuidArray(col((r) => r.creditAccountId))}::uuid[]),
           unnest(${int8Array(col((r) => r.amount))}::int8[]),
           unnest(${col((r) => r.pendingId)}::uuid[]), unnest(${col((r) => r.currency)}::text[]),
           unnest(${col((r) => r.code)}::int4[]), unnest(${col((r) => r.flags)}::int4[]),
           unnest(${col((r) => r.timeoutSeconds)}::int4[]),
           unnest(${col((r) => r.userData)}::text[]), ${new Date(createdAtMs)}::timestamptz,
           unnest(${col((r) => r.state)}::text[]), unnest(${expires}::timestamptz[]),
           ${batchId}::uuid`;
}

/**
 * One transfer as an INSERT of plain parameters: a plan made for them (a generic plan,
 * made once per connection) is costed as one made for the values, so PostgreSQL keeps it
 * even under plan_cache_mode auto (a batch decided on facts switches no mode: ledger.ts).
 */
function transferInsert(tx: Tx, r: TransferRecord, batchId: string): Fragment {
  const tos = r.timeoutSeconds;
  return tx`
    insert into ledger_transfers (id, debit_account_id, credit_account_id, amount, pending_id,
      currency, code, flags, timeout_seconds, user_data, created_at, state, expires_at, batch_id)
    values (${r.id}::uuid, ${r.debitAccountId}::uuid, ${r.creditAccountId}::uuid,
            ${r.amount.toString()}::int8, ${r.pendingId}::uuid, ${r.currency}::text,
            ${r.code}::int4, ${r.flags}::int4, ${tos}::int4, ${r.userData}::text,
            ${new Date(r.createdAtMs)}::timestamptz, ${r.state}::text,
            ${tos > 0 ? new Date(r.createdAtMs + tos * 1000) : null}::timestamptz,
            ${batchId}::uuid)`;
}

/**
 * Small batches' statements unnest their array parameters in the select list, in step,
 * rather than in FROM: there each array is a function scan that first copies its rows into
 * a tuplestore of its own (16 kB, malloc'd and freed every time). For a one-transfer
 * transaction that was some 25 tuplestores, and perf put them (with the page faults of the
 * memory going back and forth) among PostgreSQL's largest costs. All arrays of a statement
 * have one length, so both forms give the same rows. Large batches keep the FROM form,
 * whose row estimates their plans rely on.
 */
const SMALL_UNNEST = 2 * INSERT_TRANSFERS_MAX;

/**
 * The balances computed in memory of the accounts locked by this transaction, one row out
 * each (an account read without its lock has its change added instead: balancesAdded).
 * Their ids are those the lock answered (storedUuidArray).
 */
function balancesUpdate(
  tx: Tx,
  accounts: readonly AccountBalances[],
  postedOnly: boolean,
): Fragment {
  const big = (f: (a: AccountBalances) => bigint) => int8Array(accounts.map(f));
  if (accounts.length <= SMALL_UNNEST) {
    return tx`
      update ledger_accounts a
      set debits_pending = u.dp, debits_posted = u.dpo,
          credits_pending = u.cp, credits_posted = u.cpo
      from (select unnest(${uuidArray(accounts.map((a) => a.id))}::uuid[]) as id,
                   unnest(${big((a) => a.debitsPending)}::int8[]) as dp,
                   unnest(${big((a) => a.debitsPosted)}::int8[]) as dpo,
                   unnest(${big((a) => a.creditsPending)}::int8[]) as cp,
                   unnest(${big((a) => a.creditsPosted)}::int8[]) as cpo) as u
      where a.id = u.id
      returning 1`;
  }
  // A large batch that moved no pending amount sends only the posted balances: the pending
  // ones it holds are those it locked, so writing them again would change nothing.
  if (postedOnly) {
    return tx`
      update ledger_accounts a set debits_posted = u.dpo, credits_posted = u.cpo
      from unnest(${storedUuidArray(accounts.map((a) => a.id))}::uuid[],
                  ${big((a) => a.debitsPosted)}::int8[], ${big((a) => a.creditsPosted)}::int8[])
        as u(id, dpo, cpo)
      where a.id = u.id
      returning 1`;
  }
  return tx`
    update ledger_accounts a
    set debits_pending = u.dp, debits_posted = u.dpo,
        credits_pending = u.cp, credits_posted = u.cpo
    from unnest(${storedUuidArray(accounts.map((a) => a.id))}::uuid[],
                ${big((a) => a.debitsPending)}::int8[], ${big((a) => a.debitsPosted)}::int8[],
                ${big((a) => a.creditsPending)}::int8[], ${big((a) => a.creditsPosted)}::int8[])
      as u(id, dp, dpo, cp, cpo)
    where a.id = u.id
    returning 1`;
}

/**
 * What the batch changed of the accounts it read without their lock (lockAccounts: no
 * balance limit), added to each row as it is now, one row out each. The rows are locked
 * here, until COMMIT, which a batch in its own transaction (or one whose caller hands its
 * write to withLastWrites) sends in the same round trip. They are locked in id order (the
 * subquery l, whose LockRows sits above its sort: a row is updated only once l has passed
 * it), so two batches that change the same accounts in opposite directions (a capture and a
 * refund of one merchant) wait for each other rather than deadlock. Accounts with a limit
 * were locked before, by the batch's lock: no batch waits for one while it holds these.
 */
function balancesAdded(tx: Tx, accounts: readonly AccountBalances[]): Fragment {
  const set = tx`
    set debits_pending = a.debits_pending + u.dp, debits_posted = a.debits_posted + u.dpo,
        credits_pending = a.credits_pending + u.cp, credits_posted = a.credits_posted + u.cpo`;
  if (accounts.length <= 2) return twoBalancesAdded(tx, accounts, set);
  const change = (k: 0 | 1 | 2 | 3, f: (a: AccountBalances) => bigint) =>
    int8Array(accounts.map((a) => f(a) - a.asRead![k]));
  const ids = uuidArray(accounts.map((a) => a.id));
  const dp = change(0, (a) => a.debitsPending);
  const dpo = change(1, (a) => a.debitsPosted);
  const cp = change(2, (a) => a.creditsPending);
  const cpo = change(3, (a) => a.creditsPosted);
  const l = tx`(select id from ledger_accounts where id = any(${ids}::uuid[])
                order by id for update) as l`;
  if (accounts.length <= SMALL_UNNEST) {
    return tx`
      update ledger_accounts a ${set}
      from (select unnest(${ids}::uuid[]) as id, unnest(${dp}::int8[]) as dp,
                   unnest(${dpo}::int8[]) as dpo, unnest(${cp}::int8[]) as cp,
                   unnest(${cpo}::int8[]) as cpo) as u, ${l}
      where a.id = u.id and l.id = u.id
      returning 1`;
  }
  return tx`
    update ledger_accounts a ${set}
    from unnest(${ids}::uuid[], ${dp}::int8[], ${dpo}::int8[], ${cp}::int8[], ${cpo}::int8[])
      as u(id, dp, dpo, cp, cpo), ${l}
    where a.id = u.id and l.id = u.id
    returning 1`;
}

/**
 * balancesAdded for one or two accounts (a transfer's), as plain parameters: see
 * transferInsert. The rows are locked in id order as there.
 */
function twoBalancesAdded(tx: Tx, accounts: readonly AccountBalances[], set: Fragment): Fragment {
  const row = (a: AccountBalances) => {
    const [dp, dpo, cp, cpo] = a.asRead!;
    const d = (now: bigint, read: bigint) => (now - read).toString();
    return tx`(${a.id}::uuid, ${d(a.debitsPending, dp)}::int8, ${d(a.debitsPosted, dpo)}::int8,
               ${d(a.creditsPending, cp)}::int8, ${d(a.creditsPosted, cpo)}::int8)`;
  };
  const [first, second = first] = accounts;
  assert(first && second, 'balancesAdded has accounts');
  const rows = accounts.length === 2 ? tx`${row(first)}, ${row(second)}` : row(first);
  return tx`
    update ledger_accounts a ${set}
    from (values ${rows}) as u(id, dp, dpo, cp, cpo),
         (select id from ledger_accounts where id in (${first.id}::uuid, ${second.id}::uuid)
          order by id for update) as l
    where a.id = u.id and l.id = u.id
    returning 1`;
}

/** New states of stored pending transfers (posted, voided or expired), one row out each. */
function pendingStatesUpdate(tx: Tx, records: readonly TransferRecord[]): Fragment {
  return tx`
    update ledger_transfers t set state = u.st
    from unnest(${uuidArray(records.map((r) => r.id))}::uuid[],
                ${records.map((r) => r.state)}::text[]) as u(id, st)
    where t.id = u.id and t.state = 'pending'
    returning 1`;
}

/**
 * The batch row: its transfers' ids and Merkle leaves in leaf order (16 and 32 raw bytes
 * each), what audit verify recomputes the batch entry's root against. Both go as base64
 * text: the driver sends a Buffer parameter as hex, 96 bytes a transfer where base64 is 64
 * (of the ~436 bytes a large batch sent per transfer in all).
 */
function batchInsert(tx: Tx, b: BatchRecord): Fragment {
  const ids = Buffer.allocUnsafe(16 * b.created.length);
  for (let i = 0; i < b.created.length; i++) writeUuid(ids, b.created[i]!.id, 16 * i);
  const leaves = b.leaves.toString('base64');
  return tx`
    insert into ledger_batches (id, transfer_ids, leaf_hashes, created_at)
    values (${b.id}::uuid, decode(${ids.toString('base64')}, 'base64'),
            decode(${leaves}, 'base64'), ${new Date(b.createdAtMs)}::timestamptz)`;
}

/** A batch that created transfers: what its ledger_batches row records. */
export interface BatchRecord {
  id: string;
  created: readonly TransferRecord[];
  /** The created transfers' leaves, 32 bytes each, side by side. */
  leaves: Buffer;
  createdAtMs: number;
}

/** Everything a batch writes after its COPY (if any), sent as one statement by writeBatch. */
export interface BatchWrites {
  /** A small batch's transfers, inserted here; a large batch COPYs them first. */
  transfers: readonly TransferRecord[];
  touched: readonly AccountBalances[];
  /**
   * True when the batch moved no pending amount (it created no pending transfer and
   * resolved none), so that only the touched accounts' posted balances changed.
   */
  postedOnly: boolean;
  resolved: readonly TransferRecord[];
  /** Null when the batch created no transfer. */
  batch: BatchRecord | null;
  /** Another module's write sent in the same statement: the batch's audit append. */
  also: Fragment | null;
  /**
   * The plan_cache_mode useGenericPlans replaced, set again by this statement, so that the
   * caller's own statements after the batch are planned as before it.
   */
  restorePlanMode: string | undefined;
  /**
   * True when the batch decided on what the ledger knew of its accounts rather than on a
   * read of them: an account the write finds missing then fails it with
   * ACCOUNTS_UNREAD_MISSING (the batch runs again, reading them) rather than an assert.
   */
  accountsUnread?: boolean;
}

/** The code of writeBatch's error when an account it was not given read is missing. */
export const ACCOUNTS_UNREAD_MISSING = 'ledger_accounts_unread_missing';

/**
 * Writes a batch with one statement, each write a WITH item: the transfers (small batches),
 * balances, pending states, the batch row and the caller's audit append. One statement
 * rather than five costs Node one socket write and PostgreSQL one answer, and, unlike COPY,
 * needs no go-ahead: it is pipelined behind what was sent before it, COMMIT after it. A
 * transfer id stored concurrently fails it with 23505, which the batch retries (as `exists`).
 */
export async function writeBatch(tx: Tx, w: BatchWrites): Promise<void> {
  const items: Fragment[] = [];
  if (w.transfers.length > 0) {
    assert(w.batch, 'transfers inserted here belong to a batch');
    items.push(tx`t as (${transfersInsert(tx, w.transfers, w.batch.id)})`);
  }
  const locked = w.touched.filter((a) => !a.asRead);
  const read = w.touched.filter((a) => a.asRead);
  if (locked.length > 0) items.push(tx`b as (${balancesUpdate(tx, locked, w.postedOnly)})`);
  if (read.length > 0) items.push(tx`r as (${balancesAdded(tx, read)})`);
  if (w.resolved.length > 0) items.push(tx`p as (${pendingStatesUpdate(tx, w.resolved)})`);
  if (w.batch) items.push(tx`k as (${batchInsert(tx, w.batch)})`);
  if (w.also) items.push(tx`e as (${w.also})`);
  const restore =
    w.restorePlanMode === undefined
      ? tx``
      : tx`, set_config('plan_cache_mode', ${w.restorePlanMode}, true)`;
  if (items.length === 0) {
    if (w.restorePlanMode !== undefined) await tx`select 1 ${restore}`;
    return;
  }
  const join = (xs: Fragment[]) => xs.reduce((a, b) => tx`${a}, ${b}`);
  // Checked in the statement, which then fails, so that the transaction cannot commit with
  // them broken: COMMIT may already be on its way behind it. A count that differs divides
  // by zero (22012, which nothing else here can raise), reported as the assert it is.
  const check = (name: string, n: number) =>
    n > 0 ? tx`1 / ((select count(*) from ${tx(name)}) = ${n})::int` : tx`1`;
  try {
    await tx`
      with ${join(items)}
      select ${check('b', locked.length)}, ${check('r', read.length)},
             ${check('p', w.resolved.length)} ${restore}`;
  } catch (e) {
    const missed = (e as { code?: unknown }).code === DIVISION_BY_ZERO;
    if (missed && w.accountsUnread) {
      throw Object.assign(new Error('an account the batch did not read is not stored'), {
        code: ACCOUNTS_UNREAD_MISSING,
      });
    }
    assert(!missed, 'every touched account is updated; only pending transfers change state');
    throw e;
  }
}

const DIVISION_BY_ZERO = '22012';

function* transferRows(
  parts: Iterable<readonly TransferRecord[]>,
  batchId: string,
): Generator<Buffer> {
  const rows = new BinaryRows();
  // The batch id is the same in every row: its 16 bytes are made once, and written as a
  // field of 16 raw bytes, which is what BinaryRows.uuid writes after parsing the text.
  const batchUuid = Buffer.from(batchId.replaceAll('-', ''), 'hex');
  assert(batchUuid.length === 16, 'a batch id is a uuid');
  let createdAtMs: number | undefined;
  for (const part of parts) {
    for (const r of part) {
      createdAtMs ??= r.createdAtMs;
      assert(r.createdAtMs === createdAtMs, 'a batch writes one creation time');
      const tos = r.timeoutSeconds;
      rows
        .row(14)
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
        .timestamptz(tos > 0 ? createdAtMs + tos * 1000 : null)
        .bytea(batchUuid);
    }
    yield rows.take();
  }
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

/** A batch as stored: transfer ids in leaf order; leaves only when asked for. */
export interface BatchRow {
  id: string;
  transferIds: string[];
  leafHashes: Buffer | null;
}

function splitIds(raw: Buffer): string[] {
  const hex = raw.toString('hex');
  const ids: string[] = [];
  for (let i = 0; i < hex.length; i += 32) {
    const h = hex.slice(i, i + 32);
    ids.push(
      `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`,
    );
  }
  return ids;
}

export async function selectBatches(
  db: Db,
  ids: readonly string[],
  withLeaves: boolean,
): Promise<BatchRow[]> {
  if (ids.length === 0) return [];
  const rows = await db<{ id: string; transfer_ids: Buffer; leaf_hashes: Buffer | null }[]>`
    select id, transfer_ids, ${withLeaves ? db`leaf_hashes` : db`null::bytea as leaf_hashes`}
    from ledger_batches where id = any(${uuidArray(ids)}::uuid[])`;
  return rows.map((r) => ({
    id: r.id,
    transferIds: splitIds(r.transfer_ids),
    leafHashes: r.leaf_hashes,
  }));
}

/** Stored transfers with the batch each names (null: created before batches were audited). */
export async function selectTransfersWithBatch(
  db: Db,
  ids: readonly string[],
): Promise<(TransferRecord & { batchId: string | null })[]> {
  if (ids.length === 0) return [];
  const rows = await db<(TransferRow & { batch_id: string | null })[]>`
    select id, debit_account_id, credit_account_id, amount, pending_id, currency, code, flags,
           timeout_seconds, user_data, created_at, state, batch_id
    from ledger_transfers where id = any(${uuidArray(ids)}::uuid[])`;
  return rows.map((r) => ({ ...toTransfer(r), batchId: r.batch_id }));
}

/** How many transfers name a batch, how many do not, and how many batches are stored. */
export async function batchCounts(
  db: Db,
): Promise<{ batched: bigint; unbatched: bigint; batches: bigint }> {
  const [row] = await db<{ batched: bigint; unbatched: bigint; batches: bigint }[]>`
    select count(*) filter (where batch_id is not null)::int8 as batched,
           count(*) filter (where batch_id is null)::int8 as unbatched,
           (select count(*) from ledger_batches)::int8 as batches
    from ledger_transfers`;
  assert(row, 'count query returns one row');
  return row;
}

/**
 * Transfers that name a batch which does not list them (or no stored batch at all), at most
 * limit; one pass over both tables, run only when the counts already disagree.
 */
export async function unlistedBatchTransfers(
  db: Db,
  limit: number,
): Promise<{ id: string; batchId: string }[]> {
  return db<{ id: string; batchId: string }[]>`
    with listed as (
      select encode(substring(b.transfer_ids from i * 16 + 1 for 16), 'hex')::uuid as id,
             b.id as batch_id
      from ledger_batches b, generate_series(0, length(b.transfer_ids) / 16 - 1) as i)
    select t.id::text, t.batch_id::text as "batchId" from ledger_transfers t
    left join listed l on l.id = t.id and l.batch_id = t.batch_id
    where t.batch_id is not null and l.id is null
    order by t.id limit ${limit}`;
}

/** Transfers that name no batch, in id order after afterId, at most limit. */
export async function unbatchedTransferIds(
  db: Db,
  afterId: string,
  limit: number,
): Promise<string[]> {
  const rows = await db<{ id: string }[]>`
    select id::text from ledger_transfers
    where batch_id is null and id > ${afterId}::uuid order by id limit ${limit}`;
  return rows.map((r) => r.id);
}

/** Stored batch ids in id order after afterId, at most limit. */
export async function batchIds(db: Db, afterId: string, limit: number): Promise<string[]> {
  const rows = await db<{ id: string }[]>`
    select id::text from ledger_batches where id > ${afterId}::uuid order by id limit ${limit}`;
  return rows.map((r) => r.id);
}

import {
  listBySeq,
  seqOfRow,
  textArray,
  type Db,
  type Fragment,
  type SeqPage,
  type Tx,
} from '../db/index.ts';

// The payments module's only SQL (tables payments_*, migrations/0009). Batches travel as
// arrays and come back with unnest, one statement per step of a micro-batch.

// Byte strings travel in arrays as hex: postgres.js sends a Buffer[] parameter as one bytea.
const hex = (values: readonly Buffer[]) => values.map((b) => b.toString('hex'));

export interface CardRow {
  card_token: string;
  customer_id: string;
  brand: string;
  last4: string;
  created_at: Date;
}

export async function insertCard(tx: Tx, row: CardRow): Promise<boolean> {
  const rows = await tx`
    insert into payments_cards ${tx(row)} on conflict (card_token) do nothing returning 1`;
  return rows.length === 1;
}

export async function cardOf(db: Db, token: string): Promise<CardRow | undefined> {
  const [row] = await db<CardRow[]>`
    select card_token, customer_id, brand, last4, created_at from payments_cards
    where card_token = ${token} and removed_at is null`;
  return row;
}

export async function cardsOf(db: Db, customerId: string): Promise<CardRow[]> {
  return db<CardRow[]>`
    select card_token, customer_id, brand, last4, created_at from payments_cards
    where customer_id = ${customerId} and removed_at is null order by created_at`;
}

/** Top-ups of a customer not yet settled either way. */
export async function unfinishedTopupCount(db: Db, customerId: string): Promise<number> {
  const [row] = await db<{ n: number }[]>`
    select count(*)::int as n from payments_topups
    where customer_id = ${customerId} and status in ('processing', 'requires_action', 'held')`;
  return row?.n ?? 0;
}

/** Unlinks every card of a deleted customer. */
export async function removeCards(tx: Tx, customerId: string, now: Date): Promise<void> {
  await tx`update payments_cards set removed_at = ${now}
    where customer_id = ${customerId} and removed_at is null`;
}

export interface TopupRow {
  id: string;
  customer_id: string;
  device_id: string | null;
  card_token: string;
  amount_minor: bigint;
  currency: string;
  status: 'processing' | 'requires_action' | 'held' | 'succeeded' | 'failed';
  authorization_id: string | null;
  failure_code: string | null;
  transfer_id: string;
  risk_decision: string;
  risk_reasons: string[];
  created_at: Date;
  updated_at: Date;
}

export async function insertTopup(tx: Tx, row: TopupRow): Promise<void> {
  await tx`insert into payments_topups ${tx(row)}`;
}

export async function topupById(db: Db, id: string, lock = false): Promise<TopupRow | undefined> {
  const [row] = lock
    ? await db<TopupRow[]>`select * from payments_topups where id = ${id} for update`
    : await db<TopupRow[]>`select * from payments_topups where id = ${id}`;
  return row;
}

export async function updateTopup(
  db: Db,
  id: string,
  set: Partial<Pick<TopupRow, 'status' | 'authorization_id' | 'failure_code'>> & {
    updated_at: Date;
  },
): Promise<void> {
  await db`update payments_topups set ${db(set)} where id = ${id}`;
}

export interface CodeRow {
  hmac: Buffer;
  customer_id: string;
  device_id: string;
  expires_at: Date;
  created_at: Date;
  used_at: Date | null;
}

export async function activeCodeCount(db: Db, customerId: string, now: Date): Promise<number> {
  const [row] = await db<{ n: number }[]>`
    select count(*)::int as n from payments_codes
    where customer_id = ${customerId} and expires_at > ${now} and used_at is null`;
  return row?.n ?? 0;
}

export async function insertCode(db: Db, row: Omit<CodeRow, 'used_at'>): Promise<void> {
  await db`insert into payments_codes ${db(row)}`;
}

/** The codes with these HMACs, locked: concurrent batches redeem each one at most once. */
export async function lockCodes(tx: Tx, hmacs: readonly Buffer[]): Promise<CodeRow[]> {
  if (hmacs.length === 0) return [];
  return tx<CodeRow[]>`
    select hmac, customer_id, device_id, expires_at, created_at, used_at from payments_codes
    where hmac in (select decode(h, 'hex') from unnest(${hex(hmacs)}::text[]) h)
    order by hmac for update`;
}

export async function markCodesUsed(
  tx: Tx,
  used: readonly { hmac: Buffer; paymentId: string }[],
  now: Date,
): Promise<void> {
  if (used.length === 0) return;
  await tx`
    update payments_codes c set used_at = ${now}, payment_id = u.payment_id
    from unnest(${hex(used.map((u) => u.hmac))}::text[], ${used.map((u) => u.paymentId)}::text[])
      as u(hmac, payment_id)
    where c.hmac = decode(u.hmac, 'hex')`;
}

export interface PaymentRow {
  id: string;
  method: 'cpm' | 'mpm';
  merchant_id: string;
  store_id: string;
  terminal_id: string | null;
  customer_id: string;
  device_id: string | null;
  amount_minor: bigint;
  refunded_minor: bigint;
  currency: string;
  transfer_id: string;
  risk_decision: string;
  risk_reasons: string[];
  created_at: Date;
}

export async function insertPayments(tx: Tx, rows: readonly PaymentRow[]): Promise<void> {
  if (rows.length === 0) return;
  const col = <K extends keyof PaymentRow>(k: K) => rows.map((r) => r[k]);
  await tx`
    insert into payments_payments (id, method, merchant_id, store_id, terminal_id, customer_id,
      device_id, amount_minor, currency, transfer_id, risk_decision, risk_reasons, created_at)
    select id, method, merchant_id, store_id, terminal_id, customer_id, device_id, amount_minor,
      currency, transfer_id, risk_decision, string_to_array(risk_reasons, ','), created_at
    from unnest(${col('id')}::text[], ${col('method')}::text[], ${col('merchant_id')}::text[],
      ${col('store_id')}::text[], ${col('terminal_id') as (string | null)[]}::text[],
      ${col('customer_id')}::uuid[], ${col('device_id') as (string | null)[]}::uuid[],
      ${rows.map((r) => r.amount_minor.toString())}::int8[], ${col('currency')}::text[],
      ${col('transfer_id')}::uuid[], ${col('risk_decision')}::text[],
      ${rows.map((r) => r.risk_reasons.join(','))}::text[],
      ${rows.map((r) => r.created_at.toISOString())}::timestamptz[])
      as t(id, method, merchant_id, store_id, terminal_id, customer_id, device_id, amount_minor,
        currency, transfer_id, risk_decision, risk_reasons, created_at)`;
}

export async function paymentById(
  db: Db,
  id: string,
  lock = false,
): Promise<PaymentRow | undefined> {
  const [row] = lock
    ? await db<PaymentRow[]>`select * from payments_payments where id = ${id} for update`
    : await db<PaymentRow[]>`select * from payments_payments where id = ${id}`;
  return row;
}

export async function addRefunded(tx: Tx, id: string, amount: bigint): Promise<void> {
  await tx`
    update payments_payments set refunded_minor = refunded_minor + ${amount.toString()}::int8
    where id = ${id}`;
}

export interface RefundRow {
  id: string;
  payment_id: string;
  merchant_id: string;
  customer_id: string;
  amount_minor: bigint;
  currency: string;
  transfer_id: string;
  reason: string | null;
  created_at: Date;
}

export async function insertRefund(tx: Tx, row: RefundRow): Promise<void> {
  await tx`insert into payments_refunds ${tx(row)}`;
}

export async function refundsOf(db: Db, paymentId: string): Promise<RefundRow[]> {
  return db<RefundRow[]>`
    select id, payment_id, merchant_id, customer_id, amount_minor, currency, transfer_id,
      reason, created_at
    from payments_refunds where payment_id = ${paymentId} order by created_at, id`;
}

export interface StoredAnswer {
  scope: string;
  key: string;
  fingerprint: Buffer;
  status_code: number;
  body: string;
}

export interface IdempotencyRef {
  scope: string;
  key: string;
}

export async function storedAnswers(
  tx: Tx,
  keys: readonly IdempotencyRef[],
): Promise<StoredAnswer[]> {
  if (keys.length === 0) return [];
  return tx<StoredAnswer[]>`
    select i.scope, i.key, i.fingerprint, i.status_code, i.body
    from payments_idempotency i
    join unnest(${keys.map((k) => k.scope)}::text[], ${keys.map((k) => k.key)}::text[])
      as k(scope, key) on i.scope = k.scope and i.key = k.key`;
}

/**
 * Stores answers. A key another transaction stored first fails the statement (and with it
 * the transaction: answerStoredFirst tells that failure).
 */
export async function storeAnswers(
  tx: Tx,
  rows: readonly StoredAnswer[],
  now: Date,
): Promise<void> {
  if (rows.length === 0) return;
  await tx`
    insert into payments_idempotency (scope, key, fingerprint, status_code, body, created_at)
    select scope, key, decode(fingerprint, 'hex'), status_code, body, ${now}
    from unnest(${textArray(rows.map((r) => r.scope))}::text[],
      ${textArray(rows.map((r) => r.key))}::text[], ${hex(rows.map((r) => r.fingerprint))}::text[],
      ${rows.map((r) => r.status_code)}::int4[], ${textArray(rows.map((r) => r.body))}::text[])
      as t(scope, key, fingerprint, status_code, body)`;
}

/** Whether a statement failed because one of its answers' keys was stored already. */
export function answerStoredFirst(e: unknown): boolean {
  const { code, constraint_name } = e as { code?: unknown; constraint_name?: unknown };
  return code === '23505' && constraint_name === 'payments_idempotency_pkey';
}

/**
 * The guessing counters of these scopes in the current window, read without a lock: a batch
 * decides with them while another batch commits, and checks them again under the scopes'
 * lock (lockGuessScopes) before it writes anything.
 */
export async function guessFailures(
  tx: Tx,
  scopes: readonly string[],
  windowStart: Date,
): Promise<Map<string, number>> {
  if (scopes.length === 0) return new Map();
  const rows = await tx<{ scope: string; failures: number }[]>`
    select scope, failures from payments_guess_counters
    where scope = any(${[...scopes]}::text[]) and window_start = ${windowStart}`;
  return new Map(rows.map((r) => [r.scope, r.failures]));
}

/**
 * Takes the scopes' transaction-level advisory locks, in sorted order (so two batches never
 * deadlock on them): whoever holds them is the only writer of those counters until it
 * commits. A lock, not a row: a scope has no counter row until its first failure.
 */
export async function lockGuessScopes(tx: Tx, scopes: readonly string[]): Promise<void> {
  if (scopes.length === 0) return;
  await tx`
    select pg_advisory_xact_lock(hashtextextended('payments:guess:' || s, 0))
    from unnest(${[...scopes].sort()}::text[]) with ordinality as t(s, n) order by n`;
}

export async function addGuessFailures(
  tx: Tx,
  counts: ReadonlyMap<string, number>,
  windowStart: Date,
): Promise<void> {
  if (counts.size === 0) return;
  await tx`
    insert into payments_guess_counters (scope, window_start, failures)
    select scope, ${windowStart}, n
    from unnest(${[...counts.keys()]}::text[], ${[...counts.values()]}::int4[]) as t(scope, n)
    on conflict (scope, window_start) do update
      set failures = payments_guess_counters.failures + excluded.failures`;
}

export interface HistoryRow {
  kind: 'topup' | 'payment' | 'refund';
  id: string;
  amount_minor: bigint;
  currency: string;
  status: string;
  merchant_id: string | null;
  store_id: string | null;
  payment_id: string | null;
  created_at: Date;
}

/** The customer's top-ups, payments and refunds, newest first, after the cursor. */
export async function historyPage(
  db: Db,
  customerId: string,
  before: { at: Date; id: string } | null,
  limit: number,
): Promise<HistoryRow[]> {
  const at = before?.at ?? new Date('9999-12-31T00:00:00Z');
  const id = before?.id ?? '\uffff';
  return db<HistoryRow[]>`
    select * from (
      (select 'topup' as kind, id, amount_minor, currency, status, null as merchant_id,
         null as store_id, null as payment_id, created_at
       from payments_topups where customer_id = ${customerId} and (created_at, id) < (${at}, ${id})
       order by created_at desc, id desc limit ${limit})
      union all
      (select 'payment', id, amount_minor, currency, 'succeeded', merchant_id, store_id, null,
         created_at
       from payments_payments where customer_id = ${customerId}
         and (created_at, id) < (${at}, ${id})
       order by created_at desc, id desc limit ${limit})
      union all
      (select 'refund', r.id, r.amount_minor, r.currency, 'succeeded', r.merchant_id,
         p.store_id, r.payment_id, r.created_at
       from payments_refunds r join payments_payments p on p.id = r.payment_id
       where r.customer_id = ${customerId}
         and (r.created_at, r.id) < (${at}, ${id})
       order by r.created_at desc, r.id desc limit ${limit})
    ) h order by created_at desc, id desc limit ${limit}`;
}

export type ReceiptKind = 'topup' | 'payment' | 'refund';

/**
 * Marks the receipts of these rows of `table` sent, with one statement, and returns the rows
 * it marked: those already sent (a repeated outbox delivery) or unknown are left out. Rows
 * are locked in id order, so two batches that share a row never deadlock.
 */
async function claimReceipts<Row extends object>(
  tx: Tx,
  table: 'payments_topups' | 'payments_payments' | 'payments_refunds',
  ids: readonly string[],
  now: Date,
): Promise<Row[]> {
  if (ids.length === 0) return [];
  return tx<Row[]>`
    update ${tx(table)} t set receipt_sent_at = ${now}
    from (select id from ${tx(table)}
          where id = any(${ids as string[]}::text[]) and receipt_sent_at is null
          order by id for update) picked
    where t.id = picked.id
    returning t.*`;
}

export const claimTopupReceipts = (tx: Tx, ids: readonly string[], now: Date) =>
  claimReceipts<TopupRow>(tx, 'payments_topups', ids, now);
export const claimPaymentReceipts = (tx: Tx, ids: readonly string[], now: Date) =>
  claimReceipts<PaymentRow>(tx, 'payments_payments', ids, now);
/** Refunds (of these ids) still unsent whose payment's receipt is unsent too. */
export async function refundsBeforeTheirPayment(tx: Tx, ids: readonly string[]): Promise<string[]> {
  if (ids.length === 0) return [];
  const rows = await tx<{ id: string }[]>`
    select r.id from payments_refunds r join payments_payments p on p.id = r.payment_id
    where r.id = any(${ids as string[]}::text[]) and r.receipt_sent_at is null
      and p.receipt_sent_at is null`;
  return rows.map((r) => r.id);
}

export const claimRefundReceipts = (tx: Tx, ids: readonly string[], now: Date) =>
  claimReceipts<RefundRow>(tx, 'payments_refunds', ids, now);

/** The store each of these payments was made at, for naming it on their refunds. */
export async function paymentStores(
  db: Db,
  paymentIds: readonly string[],
): Promise<{ id: string; merchant_id: string; store_id: string }[]> {
  if (paymentIds.length === 0) return [];
  return db<{ id: string; merchant_id: string; store_id: string }[]>`
    select id, merchant_id, store_id from payments_payments
    where id = any(${paymentIds as string[]}::text[])`;
}

export async function purge(db: Db, idempotencyBefore: Date, codesBefore: Date): Promise<number> {
  const a = await db`delete from payments_idempotency where created_at < ${idempotencyBefore}`;
  const b = await db`delete from payments_codes where expires_at < ${codesBefore}`;
  const c = await db`delete from payments_guess_counters where window_start < ${codesBefore}`;
  return a.count + b.count + c.count;
}

/** A movement on a merchant's balance by a wallet payment or refund (always livemode). */
export interface WalletBalanceTransaction {
  id: string;
  merchant_id: string;
  type: 'code_payment' | 'store_payment' | 'wallet_refund';
  source_id: string;
  transfer_id: string;
  /** Positive for a payment, negative for a refund. */
  amount: bigint;
  currency: string;
  created_at: Date;
}

/** Balance transactions, with one insert, in the caller's transaction; repeats are no-ops. */
export async function insertBalanceTransactions(
  tx: Tx,
  rows: readonly WalletBalanceTransaction[],
): Promise<void> {
  if (rows.length === 0) return;
  const col = <K extends keyof WalletBalanceTransaction>(k: K) => rows.map((r) => r[k]);
  await tx`
    insert into payments_balance_transactions (id, merchant_id, livemode, type, source_id,
      transfer_id, amount, currency, created_at)
    select id, merchant_id, true, type, source_id, transfer_id, amount, currency, created_at
    from unnest(${col('id')}::text[], ${col('merchant_id')}::text[], ${col('type')}::text[],
      ${col('source_id')}::text[], ${col('transfer_id')}::uuid[],
      ${rows.map((r) => r.amount.toString())}::int8[], ${col('currency')}::text[],
      ${rows.map((r) => r.created_at.toISOString())}::timestamptz[])
      as t(id, merchant_id, type, source_id, transfer_id, amount, currency, created_at)
    on conflict (transfer_id) do nothing`;
}

export type WalletListable = 'payments_payments' | 'payments_refunds';

export interface WalletListFilter extends SeqPage {
  method?: string | undefined;
  storeId?: string | undefined;
  paymentId?: string | undefined;
}

/** A merchant's wallet payments or refunds, newest first; limit + 1 rows (has_more). */
export async function listWallet<T>(
  db: Db,
  table: WalletListable,
  merchantId: string,
  f: WalletListFilter,
): Promise<T[]> {
  const equal = {
    merchant_id: merchantId,
    method: f.method,
    store_id: f.storeId,
    payment_id: f.paymentId,
  };
  return listBySeq<T>(db, table, equal, f);
}

export async function walletSeqOf(
  db: Db,
  table: WalletListable,
  merchantId: string,
  id: string,
): Promise<bigint | undefined> {
  return seqOfRow(db, table, { merchant_id: merchantId }, id);
}

export interface CodeWait {
  customerId: string;
  deviceId: string;
  after: Date;
}

/**
 * For each wait, the first register (code) payment by that customer and device made after
 * its time, if any: one statement for every wallet waiting in this process (code-watch.ts).
 * `wait` is the wait's index in `waits`.
 */
export async function codePaymentsAfter(
  db: Db,
  waits: readonly CodeWait[],
): Promise<Array<PaymentRow & { wait: number }>> {
  if (waits.length === 0) return [];
  return db<Array<PaymentRow & { wait: number }>>`
    select distinct on (w.i) (w.i - 1)::int as wait, p.*
    from unnest(${waits.map((w) => w.customerId)}::uuid[], ${waits.map((w) => w.deviceId)}::uuid[],
      ${waits.map((w) => w.after.toISOString())}::timestamptz[]) with ordinality as w(c, d, t, i)
    join payments_payments p
      on p.customer_id = w.c and p.created_at > w.t and p.device_id = w.d and p.method = 'cpm'
    order by w.i, p.created_at, p.id`;
}

/** The wallets holding these card tokens (payments_cards' primary key). */
export async function cardHolders(
  db: Db,
  tokens: readonly string[],
  alsoTokens?: Fragment,
): Promise<{ card_token: string; customer_id: string }[]> {
  // The embedded tokens become one array (evaluated once), so the lookup stays on the index.
  const also = alsoTokens ? db`|| array(${alsoTokens})` : db``;
  return db<{ card_token: string; customer_id: string }[]>`
    select card_token, customer_id::text from payments_cards
    where card_token = any(${tokens as string[]}::text[] ${also}) and removed_at is null`;
}

/** How many of a customer's recent amounts the history reads: a bounded index range. */
const AMOUNT_HISTORY_ROWS_MAX = 50;

/**
 * Largest and median amount of each customer's most recent payments (or succeeded top-ups)
 * since `since`, at most AMOUNT_HISTORY_ROWS_MAX each, read backwards on the customer index.
 */
export async function amountHistory(
  db: Db,
  kind: 'payment' | 'topup',
  customerIds: readonly string[],
  since: Date,
): Promise<{ customer_id: string; max_minor: bigint; median_minor: bigint }[]> {
  const ids = customerIds as string[];
  const recent =
    kind === 'payment'
      ? db`select amount_minor from payments_payments p where p.customer_id = c.id
          and p.created_at >= ${since} order by p.created_at desc limit ${AMOUNT_HISTORY_ROWS_MAX}`
      : db`select amount_minor from payments_topups t where t.customer_id = c.id
          and t.created_at >= ${since} and t.status = 'succeeded'
          order by t.created_at desc limit ${AMOUNT_HISTORY_ROWS_MAX}`;
  return db<{ customer_id: string; max_minor: bigint; median_minor: bigint }[]>`
    select c.id::text as customer_id, h.max_minor, h.median_minor
    from unnest(${ids}::uuid[]) as c(id)
    cross join lateral (
      select max(amount_minor) as max_minor,
        percentile_disc(0.5) within group (order by amount_minor) as median_minor
      from (${recent}) r
    ) h
    where h.max_minor is not null`;
}

/** The customer's latest top-ups and wallet payments (an operator's review page). */
export async function recentMovements(db: Db, customerId: string, limit: number) {
  const [topups, payments] = await Promise.all([
    db<TopupRow[]>`
      select * from payments_topups where customer_id = ${customerId}
      order by created_at desc limit ${limit}`,
    db<PaymentRow[]>`
      select * from payments_payments where customer_id = ${customerId}
      order by created_at desc limit ${limit}`,
  ]);
  return { topups, payments };
}

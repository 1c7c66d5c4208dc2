import { textArray, type Db, type Tx } from '../db/index.ts';
import type { Severity, Status } from './incident.ts';

// The incidents module's only SQL. The timeline (incidents_events) is insert-only and the
// record (incidents_records) is its current state, written by the timeline's trigger
// (migrations 0016, 0029): this file inserts events and reads both, and never writes a record.

export type { Severity, Status };

export interface IncidentRow {
  id: string;
  kind: string;
  title: string;
  severity: Severity;
  status: Status;
  summary: string;
  detail: Record<string, unknown>;
  owner_id: string | null;
  detector: string | null;
  detector_key: string | null;
  signals: number;
  opened_at: Date;
  last_signal_at: Date;
  updated_at: Date;
}

export interface EventRow {
  seq: bigint;
  incident_id: string;
  at: Date;
  actor_type: string;
  actor_id: string | null;
  kind: string;
  detail: Record<string, unknown>;
}

type Json = Parameters<Tx['json']>[0];

/** Appends one event; the database applies it to the record (migration 0029). */
export async function insertEvent(tx: Tx, e: Omit<EventRow, 'seq'>): Promise<bigint> {
  const [row] = await tx<{ seq: bigint }[]>`
    insert into incidents_events (incident_id, at, actor_type, actor_id, kind, detail)
    values (${e.incident_id}, ${e.at}, ${e.actor_type}, ${e.actor_id}, ${e.kind},
      ${tx.json(e.detail as Json)})
    returning seq`;
  return row!.seq;
}

/** The record, locked until the transaction ends, so a transition reads a status that holds. */
export async function lockIncident(tx: Tx, id: string): Promise<IncidentRow | null> {
  const [row] = await tx<IncidentRow[]>`
    select * from incidents_records where id = ${id} for update`;
  return row ?? null;
}

export async function incidentById(db: Db, id: string): Promise<IncidentRow | null> {
  const [row] = await db<IncidentRow[]>`select * from incidents_records where id = ${id}`;
  return row ?? null;
}

/**
 * Serialises raises of one detector key across transactions and processes until the
 * caller's transaction ends, so two signals at once cannot both open an incident.
 */
export async function lockDetectorKey(tx: Tx, detector: string, key: string): Promise<void> {
  await tx`select pg_advisory_xact_lock(hashtextextended(${`incidents:${detector}:${key}`}, 0))`;
}

/** The open or contained incident raised under this key, if any, locked. */
export async function liveByDetectorKey(
  tx: Tx,
  detector: string,
  key: string,
): Promise<IncidentRow | null> {
  const [row] = await tx<IncidentRow[]>`
    select * from incidents_records
    where detector = ${detector} and detector_key = ${key} and status in ('open', 'contained')
    for update`;
  return row ?? null;
}

/** Newest first; `status` filters; `before` (an opened_at) pages back. */
export async function listIncidents(
  db: Db,
  q: { status: Status | null; before: Date | null; limit: number },
): Promise<IncidentRow[]> {
  return db<IncidentRow[]>`
    select * from incidents_records
    where (${q.status}::text is null or status = ${q.status})
      and (${q.before}::timestamptz is null or opened_at < ${q.before})
    order by opened_at desc, id limit ${q.limit}`;
}

/** One incident's events, oldest first. */
export async function listEvents(db: Db, incidentId: string, limit: number): Promise<EventRow[]> {
  return db<EventRow[]>`
    select * from incidents_events where incident_id = ${incidentId}
    order by seq limit ${limit}`;
}

export interface OpenerRow {
  actor_type: string;
  actor_id: string | null;
  detector: string | null;
  signals: number;
  first_at: Date;
}

/** Who opened or joined the incident: each detector or person once, with its signal count. */
export async function openers(db: Db, incidentId: string): Promise<OpenerRow[]> {
  return db<OpenerRow[]>`
    select actor_type, actor_id, detail ->> 'detector' as detector,
      count(*)::int as signals, min(at) as first_at
    from incidents_events
    where incident_id = ${incidentId} and kind in ('opened', 'signal_joined')
    group by 1, 2, 3 order by first_at`;
}

// --- Scope ------------------------------------------------------------------------------
//
// A scope run reads the platform's sign-ins, top-ups and payments (identity, payments and
// checkout tables), the script hashes the page monitor saw (pagewatch tables) and the
// vault's display data of cards (brand, BIN, last four, keyed fingerprint; no ciphertext).
// It is an investigation across the whole platform, read only, like the vault's card-number
// scan; no other module writes through this file.

/** Indicators as the statements take them: empty arrays for indicators not given. */
export interface ScopeParams {
  from: Date;
  to: Date;
  ipRanges: string[];
  deviceIds: string[];
  sessionIds: string[];
  customerIds: string[];
  fingerprints: string[];
  bins: string[];
  brands: string[];
  merchantIds: string[];
  storeIds: string[];
  terminalIds: string[];
  /** SHA-256 of scripts (hex) seen on a payment page. */
  scriptHashes: string[];
}

export async function nextScopeRun(tx: Tx, incidentId: string): Promise<number> {
  const [row] = await tx<{ run: number }[]>`
    select coalesce(max(run), 0) + 1 as run from incidents_scopes
    where incident_id = ${incidentId}`;
  return row!.run;
}

/** The fingerprints as bytea, from their hex (an empty array matches nothing). */
function fingerprints(p: ScopeParams): string {
  return `{${p.fingerprints.map((f) => `"\\\\x${f}"`).join(',')}}`;
}

/** Sign-ins (sessions started) in the window from a source, device, session or customer. */
async function scopeSignIns(tx: Tx, id: string, p: ScopeParams): Promise<number> {
  const r = await tx`
    insert into incidents_scope_items (scope_id, kind, item_id, at, customer_id, device_id,
      source_ip)
    select ${id}, 'sign_in', s.id::text, s.created_at, s.customer_id::text, s.device_id::text,
      s.source_ip
    from identity_sessions s
    where s.created_at >= ${p.from} and s.created_at < ${p.to}
      and ((cardinality(${textArray(p.ipRanges)}::cidr[]) > 0
            and s.source_ip ~ '^[0-9A-Fa-f:.]+$'
            and s.source_ip::inet <<= any(${textArray(p.ipRanges)}::cidr[]))
        or s.id = any(${textArray(p.sessionIds)}::uuid[])
        or s.device_id = any(${textArray(p.deviceIds)}::uuid[])
        or s.customer_id = any(${textArray(p.customerIds)}::uuid[]))`;
  return r.count;
}

/**
 * The `devices` of a `with` clause: the scope's devices, those the indicators give and those
 * its sign-ins used (scopeSignIns runs first). Top-ups and payments both start from them.
 */
function scopeDevices(tx: Tx, id: string, p: ScopeParams) {
  return tx`devices as (
    select unnest(${textArray(p.deviceIds)}::uuid[]) as id
    union select device_id::uuid from incidents_scope_items
      where scope_id = ${id} and kind = 'sign_in' and device_id is not null)`;
}

/**
 * Top-ups in the window from a device seen in the scope's sign-ins or given, by a customer
 * given, or charged to a card the indicators name.
 */
async function scopeTopups(tx: Tx, id: string, p: ScopeParams): Promise<number> {
  const r = await tx`
    with ${scopeDevices(tx, id, p)}
    insert into incidents_scope_items (scope_id, kind, item_id, at, customer_id, device_id,
      card_brand, card_bin, card_last4, card_fingerprint, amount_minor, currency)
    select ${id}, 'topup', t.id, t.created_at, t.customer_id::text, t.device_id::text,
      c.brand, c.bin, c.last4, encode(c.fingerprint, 'hex'),
      case when t.status = 'succeeded' then t.amount_minor else 0 end, t.currency
    from payments_topups t
    left join vault_cards c on c.token = t.card_token
    where t.created_at >= ${p.from} and t.created_at < ${p.to}
      and (t.device_id in (select id from devices)
        or t.customer_id = any(${textArray(p.customerIds)}::uuid[])
        or c.fingerprint = any(${fingerprints(p)}::bytea[])
        or c.bin = any(${textArray(p.bins)}::text[])
        or c.brand = any(${textArray(p.brands)}::text[]))`;
  return r.count;
}

/** Wallet payments in the window from a scope device, a customer given, or at a place given. */
async function scopePayments(tx: Tx, id: string, p: ScopeParams): Promise<number> {
  const r = await tx`
    with ${scopeDevices(tx, id, p)}
    insert into incidents_scope_items (scope_id, kind, item_id, at, customer_id, device_id,
      merchant_id, store_id, terminal_id, amount_minor, currency)
    select ${id}, 'payment', y.id, y.created_at, y.customer_id::text, y.device_id::text,
      y.merchant_id, y.store_id, y.terminal_id, y.amount_minor - y.refunded_minor, y.currency
    from payments_payments y
    where y.created_at >= ${p.from} and y.created_at < ${p.to}
      and (y.device_id in (select id from devices)
        or y.customer_id = any(${textArray(p.customerIds)}::uuid[])
        or y.merchant_id = any(${textArray(p.merchantIds)}::text[])
        or y.store_id = any(${textArray(p.storeIds)}::text[])
        or y.terminal_id = any(${textArray(p.terminalIds)}::text[]))`;
  return r.count;
}

/** Web-shop card payments in the window with a card the indicators name, or at a merchant. */
async function scopeWebPayments(tx: Tx, id: string, p: ScopeParams): Promise<number> {
  const r = await tx`
    insert into incidents_scope_items (scope_id, kind, item_id, at, customer_id, merchant_id,
      card_brand, card_bin, card_last4, card_fingerprint, amount_minor, currency)
    select ${id}, 'web_payment', w.id, w.created_at, c.customer_id, w.merchant_id,
      c.brand, c.bin, c.last4, encode(c.fingerprint, 'hex'),
      w.amount_received - w.amount_refunded, w.currency
    from checkout_payments w
    left join vault_cards c on c.token = w.card_token
    where w.created_at >= ${p.from} and w.created_at < ${p.to} and w.livemode
      and w.card_token is not null
      and (w.merchant_id = any(${textArray(p.merchantIds)}::text[])
        or c.fingerprint = any(${fingerprints(p)}::bytea[])
        or c.bin = any(${textArray(p.bins)}::text[])
        or c.brand = any(${textArray(p.brands)}::text[]))`;
  return r.count;
}

/** The hashes as bytea, from their hex (an empty array matches nothing). */
function scriptHashes(p: ScopeParams): string {
  return `{${p.scriptHashes.map((h) => `"\\\\x${h}"`).join(',')}}`;
}

/**
 * The windows in which a watched payment page ran a script with one of the hashes, as the
 * page monitor recorded them. A window runs from the last load without the script (or its
 * first load with it) to the first load without it again (or, while still served, without
 * end): the script may have been served at any time between two loads, so the window is
 * the widest the observations allow, never narrower than what was seen.
 */
const SCRIPT_WINDOWS = `
  select s.page_id, g.merchant_id, g.url, g.kind, encode(s.sha256, 'hex') as sha256,
    coalesce(s.absent_before_at, s.first_seen_at) as served_from,
    s.absent_after_at as served_to, s.first_seen_at, s.last_seen_at
  from pagewatch_scripts s join pagewatch_pages g on g.id = s.page_id
  where s.sha256 = any($1::bytea[])`;

export interface ScriptWindow {
  page_id: string;
  /** Null for Kinko's own pages (hosted card fields, challenge): every merchant's payments. */
  merchant_id: string | null;
  url: string;
  kind: string;
  sha256: string;
  served_from: Date;
  served_to: Date | null;
  first_seen_at: Date;
  last_seen_at: Date;
}

/** Where and when the hashes were served, oldest first (at most `limit`). */
export async function scriptWindows(
  db: Db,
  p: ScopeParams,
  limit: number,
): Promise<ScriptWindow[]> {
  if (p.scriptHashes.length === 0) return [];
  return db.unsafe<ScriptWindow[]>(`${SCRIPT_WINDOWS} order by served_from, s.id limit $2`, [
    scriptHashes(p),
    limit,
  ]);
}

/**
 * Web-shop card payments made on a page's merchant (every merchant, for Kinko's own pages)
 * while the page ran a script with one of the hashes, inside the scope's window. A payment
 * another indicator already reached is not listed twice.
 */
async function scopeScriptPayments(tx: Tx, id: string, p: ScopeParams): Promise<number> {
  if (p.scriptHashes.length === 0) return 0;
  const r = await tx.unsafe(
    `with windows as (${SCRIPT_WINDOWS})
    insert into incidents_scope_items (scope_id, kind, item_id, at, customer_id, merchant_id,
      card_brand, card_bin, card_last4, card_fingerprint, amount_minor, currency)
    select $2, 'web_payment', w.id, w.created_at, c.customer_id, w.merchant_id,
      c.brand, c.bin, c.last4, encode(c.fingerprint, 'hex'),
      w.amount_received - w.amount_refunded, w.currency
    from checkout_payments w
    left join vault_cards c on c.token = w.card_token
    where w.created_at >= $3 and w.created_at < $4 and w.livemode
      and w.card_token is not null
      and exists (select 1 from windows x
        where (x.merchant_id is null or x.merchant_id = w.merchant_id)
          and w.created_at >= x.served_from
          and (x.served_to is null or w.created_at < x.served_to))
    on conflict (scope_id, kind, item_id) do nothing`,
    [scriptHashes(p), id, p.from, p.to],
  );
  return r.count;
}

/** Runs every part of the scope into its items; returns the count of each kind. */
export async function runScopeItems(tx: Tx, id: string, p: ScopeParams) {
  const signIns = await scopeSignIns(tx, id, p);
  const topups = await scopeTopups(tx, id, p);
  const payments = await scopePayments(tx, id, p);
  const webPayments = await scopeWebPayments(tx, id, p);
  const scriptPayments = await scopeScriptPayments(tx, id, p);
  return { signIns, topups, payments, webPayments, scriptPayments };
}

export interface ScopeTotals {
  customers: number;
  cards: number;
  merchants: number;
  sign_ins: number;
  topups: number;
  topup_minor: string;
  payments: number;
  payment_minor: string;
  web_payments: number;
  web_payment_minor: string;
}

export async function scopeTotals(tx: Db, id: string): Promise<ScopeTotals> {
  const [row] = await tx<ScopeTotals[]>`
    select
      count(distinct customer_id)::int as customers,
      count(distinct card_fingerprint)::int as cards,
      count(distinct merchant_id)::int as merchants,
      count(*) filter (where kind = 'sign_in')::int as sign_ins,
      count(*) filter (where kind = 'topup')::int as topups,
      coalesce(sum(amount_minor) filter (where kind = 'topup'), 0)::text as topup_minor,
      count(*) filter (where kind = 'payment')::int as payments,
      coalesce(sum(amount_minor) filter (where kind = 'payment'), 0)::text as payment_minor,
      count(*) filter (where kind = 'web_payment')::int as web_payments,
      coalesce(sum(amount_minor) filter (where kind = 'web_payment'), 0)::text
        as web_payment_minor
    from incidents_scope_items where scope_id = ${id}`;
  return row!;
}

export interface ScopeRow {
  id: string;
  incident_id: string;
  run: number;
  indicators: Record<string, unknown>;
  totals: ScopeTotals & Record<string, unknown>;
  ran_at: Date;
  ran_by: string | null;
  elapsed_ms: number;
}

export async function insertScope(tx: Tx, s: ScopeRow): Promise<void> {
  await tx`
    insert into incidents_scopes (id, incident_id, run, indicators, totals, ran_at, ran_by,
      elapsed_ms)
    values (${s.id}, ${s.incident_id}, ${s.run}, ${tx.json(s.indicators as Json)},
      ${tx.json(s.totals as unknown as Json)}, ${s.ran_at}, ${s.ran_by}, ${s.elapsed_ms})`;
}

export async function scopeById(db: Db, id: string): Promise<ScopeRow | null> {
  const [row] = await db<ScopeRow[]>`select * from incidents_scopes where id = ${id}`;
  return row ?? null;
}

export async function scopesOf(db: Db, incidentId: string): Promise<ScopeRow[]> {
  return db<ScopeRow[]>`select * from incidents_scopes where incident_id = ${incidentId}
    order by run desc`;
}

export interface ScopeCustomerRow {
  customer_id: string;
  logged_in: boolean;
  topped_up: boolean;
  paid: boolean;
  sign_ins: number;
  topups: number;
  topup_minor: bigint;
  payments: number;
  payment_minor: bigint;
  web_payments: number;
  web_payment_minor: bigint;
}

/** Each affected customer, how they were affected, and their yen, in customer id order. */
export async function scopeCustomers(
  db: Db,
  id: string,
  page: { after: string | null; limit: number },
): Promise<ScopeCustomerRow[]> {
  return db<ScopeCustomerRow[]>`
    select customer_id,
      bool_or(kind = 'sign_in') as logged_in,
      bool_or(kind = 'topup') as topped_up,
      bool_or(kind in ('payment', 'web_payment')) as paid,
      count(*) filter (where kind = 'sign_in')::int as sign_ins,
      count(*) filter (where kind = 'topup')::int as topups,
      coalesce(sum(amount_minor) filter (where kind = 'topup'), 0)::int8 as topup_minor,
      count(*) filter (where kind = 'payment')::int as payments,
      coalesce(sum(amount_minor) filter (where kind = 'payment'), 0)::int8 as payment_minor,
      count(*) filter (where kind = 'web_payment')::int as web_payments,
      coalesce(sum(amount_minor) filter (where kind = 'web_payment'), 0)::int8
        as web_payment_minor
    from incidents_scope_items
    where scope_id = ${id} and customer_id is not null
      and (${page.after}::text is null or customer_id > ${page.after})
    group by customer_id order by customer_id limit ${page.limit}`;
}

export interface ScopeCardRow {
  card_fingerprint: string;
  card_brand: string;
  card_bin: string;
  card_last4: string;
  uses: number;
  amount_minor: bigint;
  first_at: Date;
  last_at: Date;
}

/** Each affected card by its fingerprint: brand, BIN, last four, uses and yen. */
export async function scopeCards(db: Db, id: string): Promise<ScopeCardRow[]> {
  return db<ScopeCardRow[]>`
    select card_fingerprint, min(card_brand) as card_brand, min(card_bin) as card_bin,
      min(card_last4) as card_last4, count(*)::int as uses,
      coalesce(sum(amount_minor), 0)::int8 as amount_minor, min(at) as first_at,
      max(at) as last_at
    from incidents_scope_items
    where scope_id = ${id} and card_fingerprint is not null
    group by card_fingerprint order by card_brand, card_fingerprint`;
}

export interface ScopeMerchantRow {
  merchant_id: string;
  payments: number;
  amount_minor: bigint;
  stores: number;
}

export async function scopeMerchants(db: Db, id: string): Promise<ScopeMerchantRow[]> {
  return db<ScopeMerchantRow[]>`
    select merchant_id, count(*)::int as payments,
      coalesce(sum(amount_minor), 0)::int8 as amount_minor,
      count(distinct store_id)::int as stores
    from incidents_scope_items
    where scope_id = ${id} and merchant_id is not null
    group by merchant_id order by amount_minor desc, merchant_id`;
}

export interface ScopeItemRow {
  kind: string;
  item_id: string;
  at: Date;
  customer_id: string | null;
  device_id: string | null;
  source_ip: string | null;
  merchant_id: string | null;
  store_id: string | null;
  terminal_id: string | null;
  card_brand: string | null;
  card_last4: string | null;
  card_fingerprint: string | null;
  amount_minor: bigint | null;
  currency: string | null;
}

/** The scope's items of some kinds, a page at a time in (kind, item id) order. */
export async function scopeItems(
  db: Db,
  id: string,
  q: { kinds: string[]; after: string | null; limit: number },
): Promise<ScopeItemRow[]> {
  return db<ScopeItemRow[]>`
    select kind, item_id, at, customer_id, device_id, source_ip, merchant_id, store_id,
      terminal_id, card_brand, card_last4, card_fingerprint, amount_minor, currency
    from incidents_scope_items
    where scope_id = ${id} and kind = any(${textArray(q.kinds)}::text[])
      and (${q.after}::text is null or kind || ':' || item_id > ${q.after})
    order by kind, item_id limit ${q.limit}`;
}

// --- Notices ----------------------------------------------------------------------------

/** The newest scope run of an incident, or null when it has none. */
export async function latestScope(db: Db, incidentId: string): Promise<ScopeRow | null> {
  const [row] = await db<ScopeRow[]>`select * from incidents_scopes
    where incident_id = ${incidentId} order by run desc limit 1`;
  return row ?? null;
}

/** The customers a scope run reached, in id order. */
export async function scopeCustomerIds(db: Db, scopeId: string): Promise<string[]> {
  const rows = await db<{ customer_id: string }[]>`
    select distinct customer_id from incidents_scope_items
    where scope_id = ${scopeId} and customer_id is not null order by customer_id`;
  return rows.map((r) => r.customer_id);
}

export type NoticeState = 'queued' | 'sent' | 'delivered' | 'failed';

export interface NoticeRow {
  ref: string;
  customer_id: string;
  channel: 'email' | 'sms';
}

/**
 * Records notices, one per incident, customer and channel, queued; returns only those that
 * were not recorded before, which are the ones to send. One insert.
 */
export async function insertNotices(
  tx: Tx,
  n: { incidentId: string; scopeId: string; at: Date; by: string | null; contact: string },
  rows: readonly NoticeRow[],
): Promise<NoticeRow[]> {
  if (rows.length === 0) return [];
  return tx<NoticeRow[]>`
    insert into incidents_notices (incident_id, customer_id, channel, scope_id, language,
      sent_at, sent_by, ref, contact, state, state_at)
    select ${n.incidentId}, c, ch, ${n.scopeId}, 'ja+en', ${n.at}, ${n.by}, r, ${n.contact},
      'queued', ${n.at}
    from unnest(${textArray(rows.map((r) => r.customer_id))}::text[],
      ${textArray(rows.map((r) => r.channel))}::text[],
      ${textArray(rows.map((r) => r.ref))}::text[]) as t(c, ch, r)
    on conflict do nothing
    returning ref, customer_id, channel`;
}

export async function noticeCounts(
  db: Db,
  incidentId: string,
): Promise<{ email: number; sms: number }> {
  const [row] = await db<{ email: number; sms: number }[]>`
    select count(*) filter (where channel = 'email')::int as email,
      count(*) filter (where channel = 'sms')::int as sms
    from incidents_notices where incident_id = ${incidentId}`;
  return row ?? { email: 0, sms: 0 };
}

/** The merchants a scope run reached, in id order. */
export async function scopeMerchantIds(db: Db, scopeId: string): Promise<string[]> {
  const rows = await db<{ merchant_id: string }[]>`
    select distinct merchant_id from incidents_scope_items
    where scope_id = ${scopeId} and merchant_id is not null order by merchant_id`;
  return rows.map((r) => r.merchant_id);
}

export interface MerchantNoticeRow {
  ref: string;
  merchant_id: string;
  channel: 'webhook' | 'email';
  event_id: string | null;
  person_id: string | null;
}

/** The merchants an incident has told already (each has its webhook notice). */
export async function notifiedMerchants(db: Db, incidentId: string): Promise<string[]> {
  const rows = await db<{ merchant_id: string }[]>`
    select merchant_id from incidents_merchant_notices
    where incident_id = ${incidentId} and channel = 'webhook'`;
  return rows.map((r) => r.merchant_id);
}

/**
 * Records merchants' notices, queued: a webhook row per merchant (a second one for the same
 * incident is refused by the database) and an email row per person told. One insert.
 */
export async function insertMerchantNotices(
  tx: Tx,
  n: { incidentId: string; scopeId: string; at: Date; by: string | null; contact: string },
  rows: readonly MerchantNoticeRow[],
): Promise<void> {
  if (rows.length === 0) return;
  const col = (k: keyof MerchantNoticeRow) => textArray(rows.map((r) => r[k]));
  await tx`
    insert into incidents_merchant_notices (ref, incident_id, merchant_id, channel, event_id,
      person_id, scope_id, contact, sent_at, sent_by, state, state_at)
    select r, ${n.incidentId}, m, ch, e, p, ${n.scopeId}, ${n.contact}, ${n.at}, ${n.by},
      'queued', ${n.at}
    from unnest(${col('ref')}::text[], ${col('merchant_id')}::text[], ${col('channel')}::text[],
      ${col('event_id')}::text[], ${col('person_id')}::text[]) as t(r, m, ch, e, p)`;
}

/** The merchants' activity in a scope run: payments, yen and stores, for their notice. */
export async function scopeMerchantFacts(db: Db, scopeId: string, merchantIds: string[]) {
  return db<{ merchant_id: string; payments: number; amount_minor: bigint; stores: number }[]>`
    select merchant_id, count(*)::int as payments,
      coalesce(sum(amount_minor), 0)::int8 as amount_minor,
      count(distinct store_id)::int as stores
    from incidents_scope_items
    where scope_id = ${scopeId} and merchant_id = any(${textArray(merchantIds)}::text[])
    group by merchant_id`;
}

/**
 * Applies delivery reports to the notices they name (customers' ntc_…, merchants' mnt_…):
 * only to a notice still queued or being sent, so a late or repeated report never moves a
 * delivered or failed one. An error counts an attempt. Two statements at most.
 */
export async function applyDeliveryReports(
  db: Db,
  reports: readonly { ref: string; state: NoticeState; at: Date; error: string | null }[],
): Promise<number> {
  let applied = 0;
  for (const [table, prefix] of [
    ['incidents_notices', 'ntc_'],
    ['incidents_merchant_notices', 'mnt_'],
  ] as const) {
    const mine = reports.filter((r) => r.ref.startsWith(prefix));
    if (mine.length === 0) continue;
    const r = await db`
      update ${db(table)} n set state = s.state, state_at = s.at,
        attempts = n.attempts + (s.error is not null)::int,
        last_error = coalesce(s.error, n.last_error)
      from unnest(${textArray(mine.map((x) => x.ref))}::text[],
        ${textArray(mine.map((x) => x.state))}::text[],
        ${mine.map((x) => x.at.toISOString())}::timestamptz[],
        ${textArray(mine.map((x) => x.error))}::text[]) as s(ref, state, at, error)
      where n.ref = s.ref and n.state in ('queued', 'sent')`;
    applied += r.count;
  }
  return applied;
}

export interface NoticeListRow {
  ref: string;
  audience: 'customer' | 'merchant';
  recipient_id: string;
  channel: 'email' | 'sms' | 'webhook';
  event_id: string | null;
  state: NoticeState;
  state_at: Date;
  attempts: number;
  retries: number;
  last_error: string | null;
  sent_at: Date;
}

/** An incident's notices, customers' and merchants', a page at a time in ref order. */
export async function listNotices(
  db: Db,
  incidentId: string,
  q: { state: NoticeState | null; after: string | null; limit: number },
): Promise<NoticeListRow[]> {
  return db<NoticeListRow[]>`
    select * from (
      select ref, 'customer' as audience, customer_id as recipient_id, channel,
        null::text as event_id, state, state_at, attempts, retries, last_error, sent_at
      from incidents_notices where incident_id = ${incidentId}
      union all
      select ref, 'merchant', merchant_id, channel, event_id, state, state_at, attempts,
        retries, last_error, sent_at
      from incidents_merchant_notices where incident_id = ${incidentId}) n
    where (${q.state}::text is null or state = ${q.state})
      and (${q.after}::text is null or ref > ${q.after})
    order by ref limit ${q.limit}`;
}

/** Notices per audience, channel and state. */
export async function noticeStates(db: Db, incidentId: string) {
  return db<{ audience: string; channel: string; state: NoticeState; n: number }[]>`
    select 'customer' as audience, channel, state, count(*)::int as n
    from incidents_notices where incident_id = ${incidentId} group by channel, state
    union all
    select 'merchant', channel, state, count(*)::int
    from incidents_merchant_notices where incident_id = ${incidentId} group by channel, state`;
}

/** The merchants' webhook notices of an incident (their state is the webhooks module's). */
export async function merchantWebhookNotices(db: Db, incidentId: string) {
  return db<{ ref: string; event_id: string }[]>`
    select ref, event_id from incidents_merchant_notices
    where incident_id = ${incidentId} and channel = 'webhook'`;
}

export interface RetryRow {
  ref: string;
  customer_id: string | null;
  merchant_id: string | null;
  person_id: string | null;
  channel: 'email' | 'sms';
  contact: string;
  scope_id: string;
}

/**
 * Queues failed email and SMS notices of an incident again (all of them, or those named),
 * counting the retry; returns them. A notice in any other state is left as it is.
 */
export async function requeueFailed(
  tx: Tx,
  incidentId: string,
  refs: readonly string[] | null,
  at: Date,
): Promise<RetryRow[]> {
  const named = refs === null ? null : textArray(refs);
  const customers = await tx<RetryRow[]>`
    update incidents_notices set state = 'queued', state_at = ${at}, retries = retries + 1
    where incident_id = ${incidentId} and state = 'failed'
      and (${named}::text[] is null or ref = any(${named}::text[]))
    returning ref, customer_id, null::text as merchant_id, null::text as person_id, channel,
      contact, scope_id`;
  const merchants = await tx<RetryRow[]>`
    update incidents_merchant_notices set state = 'queued', state_at = ${at},
      retries = retries + 1
    where incident_id = ${incidentId} and state = 'failed' and channel = 'email'
      and (${named}::text[] is null or ref = any(${named}::text[]))
    returning ref, null::text as customer_id, merchant_id, person_id, channel, contact,
      scope_id`;
  return [...customers, ...merchants];
}

/** The state of notices by ref, for answering a retry precisely. */
export async function noticeStatesByRef(
  db: Db,
  incidentId: string,
  refs: readonly string[],
): Promise<{ ref: string; state: NoticeState; channel: string }[]> {
  return db<{ ref: string; state: NoticeState; channel: string }[]>`
    select ref, state, channel from incidents_notices
    where incident_id = ${incidentId} and ref = any(${textArray(refs)}::text[])
    union all
    select ref, state, channel from incidents_merchant_notices
    where incident_id = ${incidentId} and ref = any(${textArray(refs)}::text[])`;
}

// --- Compensation ------------------------------------------------------------------------

export interface LossRow {
  customer_id: string;
  topup_minor: bigint;
  payment_minor: bigint;
}

/** Each customer's top-ups and wallet payments in a scope run, with yen, in id order. */
export async function scopeLosses(db: Db, scopeId: string): Promise<LossRow[]> {
  return db<LossRow[]>`
    select customer_id,
      coalesce(sum(amount_minor) filter (where kind = 'topup'), 0)::int8 as topup_minor,
      coalesce(sum(amount_minor) filter (where kind = 'payment'), 0)::int8 as payment_minor
    from incidents_scope_items
    where scope_id = ${scopeId} and customer_id is not null and kind in ('topup', 'payment')
    group by customer_id order by customer_id`;
}

/** One event of an incident by its sequence number and kind, or null. */
export async function eventOf(
  db: Db,
  incidentId: string,
  seq: bigint,
  kind: string,
): Promise<EventRow | null> {
  const [row] = await db<EventRow[]>`select * from incidents_events
    where incident_id = ${incidentId} and seq = ${seq} and kind = ${kind}`;
  return row ?? null;
}

/** An incident's events of one kind, oldest first. */
export async function eventsOfKind(db: Db, incidentId: string, kind: string): Promise<EventRow[]> {
  return db<EventRow[]>`select * from incidents_events
    where incident_id = ${incidentId} and kind = ${kind} order by seq`;
}

import { textArray, type Db, type Tx } from '../db/index.ts';
import type { Difference, Inventory, ScriptSeen } from './inventory.ts';

// The page monitor's only SQL: watched pages (with their schedule and lease), observations
// and approvals (insert-only), and the script hashes each page ran with their windows.

export type PageKind = 'checkout' | 'hosted_fields' | 'challenge';

export interface PageRow {
  id: string;
  merchant_id: string | null;
  kind: PageKind;
  url: string;
  label: string | null;
  status: 'active' | 'removed';
  created_at: Date;
  removed_at: Date | null;
  approved_observation_id: string | null;
  approved_at: Date | null;
  next_check_at: Date;
}

export interface ObservationRow {
  id: string;
  page_id: string;
  observed_at: Date;
  outcome: 'loaded' | 'failed';
  failure: string | null;
  inventory: Inventory | null;
  inventory_hash: Buffer | null;
  difference: Difference | null;
  incident_id: string | null;
}

const PAGE = `id, merchant_id, kind, url, label, status, created_at, removed_at,
  approved_observation_id, approved_at, next_check_at`;
const OBSERVATION = `id, page_id, observed_at, outcome, failure, inventory, inventory_hash,
  difference, incident_id`;

/** False when the same URL is already watched (for this merchant, or as Kinko's page). */
export async function insertPage(
  tx: Tx,
  p: Omit<PageRow, 'status' | 'removed_at' | 'approved_observation_id' | 'approved_at'>,
): Promise<boolean> {
  const rows = await tx`
    insert into pagewatch_pages (id, merchant_id, kind, url, label, status, created_at,
      next_check_at)
    values (${p.id}, ${p.merchant_id}, ${p.kind}, ${p.url}, ${p.label}, 'active',
      ${p.created_at}, ${p.next_check_at})
    on conflict (coalesce(merchant_id, ''), url) where status = 'active' do nothing
    returning id`;
  return rows.length === 1;
}

/** Serialises changes to one merchant's pages (Kinko's: null), so limits hold. */
export async function lockPages(tx: Tx, merchantId: string | null): Promise<void> {
  const key = `pagewatch:${merchantId ?? 'kinko'}`;
  await tx`select pg_advisory_xact_lock(hashtextextended(${key}, 0))`;
}

/** Kinko's pages no longer configured (another origin, no wallet key) stop being watched. */
export async function retireKinkoPagesBut(tx: Tx, urls: readonly string[], at: Date) {
  await tx`update pagewatch_pages set status = 'removed', removed_at = ${at}
    where merchant_id is null and status = 'active'
      and not (url = any(${textArray(urls)}::text[]))`;
}

export async function countActivePages(db: Db, merchantId: string): Promise<number> {
  const [row] = await db<{ n: number }[]>`
    select count(*)::int as n from pagewatch_pages
    where merchant_id = ${merchantId} and status = 'active'`;
  return row!.n;
}

export async function pageById(db: Db, id: string): Promise<PageRow | undefined> {
  const [row] = await db<PageRow[]>`select ${db.unsafe(PAGE)} from pagewatch_pages
    where id = ${id}`;
  return row;
}

export async function lockPage(tx: Tx, id: string): Promise<PageRow | undefined> {
  const [row] = await tx<PageRow[]>`select ${tx.unsafe(PAGE)} from pagewatch_pages
    where id = ${id} for update`;
  return row;
}

/** Active pages of a merchant, or Kinko's own (merchantId null), or all (undefined). */
export function listPages(db: Db, merchantId: string | null | undefined, limit: number) {
  if (merchantId === undefined) {
    return db<PageRow[]>`select ${db.unsafe(PAGE)} from pagewatch_pages
      where status = 'active' order by merchant_id nulls first, created_at limit ${limit}`;
  }
  return db<PageRow[]>`select ${db.unsafe(PAGE)} from pagewatch_pages
    where status = 'active' and merchant_id is not distinct from ${merchantId}
    order by created_at limit ${limit}`;
}

export async function removePage(tx: Tx, id: string, at: Date): Promise<void> {
  await tx`update pagewatch_pages set status = 'removed', removed_at = ${at}
    where id = ${id} and status = 'active'`;
}

/**
 * Takes up to `limit` due pages for this process: each moves to its next check and is
 * leased to `holder` until `leaseUntil`, in one statement; SKIP LOCKED and the moved
 * next_check_at mean another process running the same cycle takes other pages or none.
 */
export function claimDuePages(
  db: Db,
  c: { holder: string; now: Date; next: Date; leaseUntil: Date; limit: number },
) {
  return db<PageRow[]>`
    update pagewatch_pages p
    set next_check_at = ${c.next}, lease_holder = ${c.holder}, lease_until = ${c.leaseUntil}
    where p.id in (
      select id from pagewatch_pages
      where status = 'active' and next_check_at <= ${c.now}
        and (lease_until is null or lease_until <= ${c.now})
      order by next_check_at limit ${c.limit}
      for update skip locked)
    returning p.*`;
}

export async function releaseLease(db: Db, id: string, holder: string): Promise<void> {
  await db`update pagewatch_pages set lease_holder = null, lease_until = null
    where id = ${id} and lease_holder = ${holder}`;
}

/** Makes every active page due now (an on-demand cycle). */
export async function makeAllDue(db: Db, now: Date): Promise<void> {
  await db`update pagewatch_pages set next_check_at = ${now}
    where status = 'active' and next_check_at > ${now}`;
}

export async function insertObservation(tx: Tx, o: ObservationRow): Promise<void> {
  await tx`
    insert into pagewatch_observations (id, page_id, observed_at, outcome, failure, inventory,
      inventory_hash, difference, incident_id)
    values (${o.id}, ${o.page_id}, ${o.observed_at}, ${o.outcome}, ${o.failure},
      ${o.inventory ? tx.json(o.inventory as never) : null}, ${o.inventory_hash},
      ${o.difference ? tx.json(o.difference as never) : null}, ${o.incident_id})`;
}

export async function observationById(db: Db, id: string): Promise<ObservationRow | undefined> {
  const [row] = await db<ObservationRow[]>`select ${db.unsafe(OBSERVATION)}
    from pagewatch_observations where id = ${id}`;
  return row;
}

/** The newest observation of a page that loaded, or of any outcome. */
export async function latestObservation(
  db: Db,
  pageId: string,
  loadedOnly: boolean,
): Promise<ObservationRow | undefined> {
  const [row] = await db<ObservationRow[]>`select ${db.unsafe(OBSERVATION)}
    from pagewatch_observations
    where page_id = ${pageId} and (${!loadedOnly} or outcome = 'loaded')
    order by seq desc limit 1`;
  return row;
}

export function listObservations(db: Db, pageId: string, limit: number) {
  return db<ObservationRow[]>`select ${db.unsafe(OBSERVATION)} from pagewatch_observations
    where page_id = ${pageId} order by seq desc limit ${limit}`;
}

export interface AlertRow extends ObservationRow {
  merchant_id: string | null;
  url: string;
  kind: PageKind;
}

/** Observations that raised an alert (a new difference), newest first. */
export function listAlerts(db: Db, merchantId: string | undefined, limit: number) {
  return db<AlertRow[]>`
    select o.id, o.page_id, o.observed_at, o.outcome, o.failure, o.inventory,
      o.inventory_hash, o.difference, o.incident_id, p.merchant_id, p.url, p.kind
    from pagewatch_observations o join pagewatch_pages p on p.id = o.page_id
    where o.incident_id is not null
      and (${merchantId === undefined} or p.merchant_id = ${merchantId ?? ''})
    order by o.seq desc limit ${limit}`;
}

export async function insertApproval(
  tx: Tx,
  a: {
    pageId: string;
    observationId: string;
    at: Date;
    actorType: string;
    actorId: string | null;
    reason: string | null;
  },
): Promise<void> {
  await tx`
    insert into pagewatch_approvals (page_id, observation_id, approved_at, actor_type,
      actor_id, reason)
    values (${a.pageId}, ${a.observationId}, ${a.at}, ${a.actorType}, ${a.actorId},
      ${a.reason})`;
  await tx`update pagewatch_pages set approved_observation_id = ${a.observationId},
    approved_at = ${a.at} where id = ${a.pageId}`;
}

/**
 * Extends the window of every script this observation saw that the page's previous loaded
 * observation also saw, starts a window for the others, and closes the windows of scripts
 * the previous observation saw and this one did not.
 */
export async function recordScripts(
  tx: Tx,
  r: {
    pageId: string;
    observationId: string;
    at: Date;
    previous: { id: string; at: Date } | null;
    scripts: readonly ScriptSeen[];
  },
): Promise<void> {
  const hashes = `{${r.scripts.map((s) => `"\\\\x${s.sha256}"`).join(',')}}`;
  const urls = textArray(r.scripts.map((s) => s.url));
  const prevId = r.previous?.id ?? null;
  await tx`
    with seen as (
      select distinct h as sha256, u as url
      from unnest(${hashes}::bytea[], ${urls}::text[]) as s(h, u)),
    kept as (
      update pagewatch_scripts w
      set last_seen_at = ${r.at}, last_observation_id = ${r.observationId}
      from seen
      where w.page_id = ${r.pageId} and w.last_observation_id = ${prevId}
        and w.sha256 = seen.sha256 and w.url = seen.url
      returning w.sha256, w.url)
    insert into pagewatch_scripts (page_id, sha256, url, first_seen_at, last_seen_at,
      absent_before_at, last_observation_id)
    select ${r.pageId}, s.sha256, s.url, ${r.at}, ${r.at}, ${r.previous?.at ?? null},
      ${r.observationId}
    from seen s
    where not exists (select 1 from kept k where k.sha256 = s.sha256 and k.url = s.url)`;
  if (prevId !== null) {
    await tx`update pagewatch_scripts set absent_after_at = ${r.at}
      where page_id = ${r.pageId} and last_observation_id = ${prevId}`;
  }
}

export interface ScriptWindowRow {
  page_id: string;
  merchant_id: string | null;
  url: string;
  kind: PageKind;
  sha256: string;
  script_url: string;
  first_seen_at: Date;
  last_seen_at: Date;
  absent_before_at: Date | null;
  absent_after_at: Date | null;
}

/** The windows in which a page ran a script with one of these hashes (hex). */
export function scriptWindows(db: Db, sha256: readonly string[]) {
  const hashes = `{${sha256.map((h) => `"\\\\x${h}"`).join(',')}}`;
  return db<ScriptWindowRow[]>`
    select w.page_id, p.merchant_id, p.url, p.kind, encode(w.sha256, 'hex') as sha256,
      w.url as script_url, w.first_seen_at, w.last_seen_at, w.absent_before_at,
      w.absent_after_at
    from pagewatch_scripts w join pagewatch_pages p on p.id = w.page_id
    where w.sha256 = any(${hashes}::bytea[])
    order by w.first_seen_at, w.id`;
}

import type { Db, Fragment, Sql, Tx } from '../db/index.ts';
import type { KeyKind, KeyMode } from './keys.ts';

// The merchants module's only SQL: merchants, stores, terminals, API keys, allowed origins.

export interface MerchantRow {
  id: string;
  name: string;
  status: 'active' | 'suspended';
  card_data_capable: boolean;
  demo: boolean;
  created_at: Date;
}

export interface StoreRow {
  id: string;
  merchant_id: string;
  name: string;
  mcc: string;
  city: string;
  postal_code: string;
  created_at: Date;
}

export interface TerminalRow {
  id: string;
  merchant_id: string;
  store_id: string;
  name: string;
  secret_sha256: Buffer;
  secret_prefix: string;
  status: 'active' | 'revoked';
  /** Fixed at creation: a test terminal's wallet payments are refused. */
  mode: KeyMode;
  last_used_at: Date | null;
  created_at: Date;
}

export interface ApiKeyRow {
  id: string;
  merchant_id: string;
  kind: KeyKind;
  mode: KeyMode;
  name: string | null;
  display_prefix: string;
  secret_sha256: Buffer | null;
  publishable_key: string | null;
  scopes: string[];
  created_at: Date;
  expires_at: Date | null;
  revoked_at: Date | null;
  last_used_at: Date | null;
  replaced_by: string | null;
}

export async function insertMerchant(tx: Tx, row: MerchantRow): Promise<void> {
  await tx`
    insert into merchants_merchants (id, name, status, card_data_capable, demo, created_at)
    values (${row.id}, ${row.name}, ${row.status}, ${row.card_data_capable}, ${row.demo},
            ${row.created_at})`;
}

export async function merchantById(db: Db, id: string): Promise<MerchantRow | undefined> {
  const [row] = await db<MerchantRow[]>`select * from merchants_merchants where id = ${id}`;
  return row;
}

/**
 * A merchant and its mode: live once it holds a live secret or restricted key (whatever that
 * key's status now), test when all its keys are test ones (`kinko merchants create --mode
 * test`; a test key only makes test keys). Only a live merchant can see and refund wallet
 * payments, so only its stores take them.
 */
export async function merchantWithMode(
  db: Db,
  id: string,
): Promise<(MerchantRow & { livemode: boolean }) | undefined> {
  const [row] = await db<(MerchantRow & { livemode: boolean })[]>`
    select m.*, exists (select 1 from merchants_api_keys k
                         where k.merchant_id = m.id and k.mode = 'live'
                           and k.kind <> 'publishable') as livemode
      from merchants_merchants m where m.id = ${id}`;
  return row;
}

export async function demoMerchant(db: Db): Promise<MerchantRow | undefined> {
  const [row] = await db<MerchantRow[]>`select * from merchants_merchants where demo`;
  return row;
}

/** Serialises demo seeding across processes starting at once. */
export async function lockDemoSeed(tx: Tx): Promise<void> {
  await tx`select pg_advisory_xact_lock(hashtext('merchants.demo_seed'))`;
}

export async function insertStore(tx: Tx, row: StoreRow): Promise<void> {
  await tx`
    insert into merchants_stores (id, merchant_id, name, mcc, city, postal_code, created_at)
    values (${row.id}, ${row.merchant_id}, ${row.name}, ${row.mcc}, ${row.city},
            ${row.postal_code}, ${row.created_at})`;
}

export async function storeById(db: Db, id: string): Promise<StoreRow | undefined> {
  const [row] = await db<StoreRow[]>`select * from merchants_stores where id = ${id}`;
  return row;
}

export async function listStores(db: Db, merchantId: string, limit: number): Promise<StoreRow[]> {
  return db<StoreRow[]>`
    select * from merchants_stores where merchant_id = ${merchantId} order by id limit ${limit}`;
}

export async function insertTerminal(tx: Tx, row: TerminalRow): Promise<void> {
  await tx`
    insert into merchants_terminals (id, merchant_id, store_id, name, secret_sha256,
                                     secret_prefix, status, mode, last_used_at, created_at)
    values (${row.id}, ${row.merchant_id}, ${row.store_id}, ${row.name}, ${row.secret_sha256},
            ${row.secret_prefix}, ${row.status}, ${row.mode}, null, ${row.created_at})`;
}

export async function terminalById(
  db: Db,
  id: string,
): Promise<(TerminalRow & { merchant_status: MerchantRow['status'] }) | undefined> {
  const [row] = await db<(TerminalRow & { merchant_status: MerchantRow['status'] })[]>`
    select t.*, m.status as merchant_status
    from merchants_terminals t join merchants_merchants m on m.id = t.merchant_id
    where t.id = ${id}`;
  return row;
}

export async function listTerminals(
  db: Db,
  merchantId: string,
  limit: number,
): Promise<TerminalRow[]> {
  return db<TerminalRow[]>`
    select * from merchants_terminals where merchant_id = ${merchantId} order by id
    limit ${limit}`;
}

export async function setTerminalSecret(
  tx: Tx,
  id: string,
  hash: Buffer,
  prefix: string,
): Promise<void> {
  await tx`
    update merchants_terminals set secret_sha256 = ${hash}, secret_prefix = ${prefix}
    where id = ${id}`;
}

/** Records use at most once per resolution window, so a busy register rewrites no row. */
export async function touchTerminal(db: Db, id: string, now: Date, before: Date): Promise<void> {
  await db`
    update merchants_terminals set last_used_at = ${now}
    where id = ${id} and (last_used_at is null or last_used_at < ${before})`;
}

export async function insertApiKey(tx: Tx, row: ApiKeyRow): Promise<void> {
  await tx`
    insert into merchants_api_keys (id, merchant_id, kind, mode, name, display_prefix,
      secret_sha256, publishable_key, scopes, created_at, expires_at, revoked_at, last_used_at,
      replaced_by)
    values (${row.id}, ${row.merchant_id}, ${row.kind}, ${row.mode}, ${row.name},
      ${row.display_prefix}, ${row.secret_sha256}, ${row.publishable_key}, ${row.scopes},
      ${row.created_at}, ${row.expires_at}, null, null, null)`;
}

/** A key with what authentication needs of its merchant, in one index probe and a join. */
export interface KeyWithMerchant extends ApiKeyRow {
  merchant_status: MerchantRow['status'];
  card_data_capable: boolean;
}

export async function apiKeyByHash(db: Db, hash: Buffer): Promise<KeyWithMerchant | undefined> {
  const [row] = await db<KeyWithMerchant[]>`
    select k.*, m.status as merchant_status, m.card_data_capable
    from merchants_api_keys k join merchants_merchants m on m.id = k.merchant_id
    where k.secret_sha256 = ${hash}`;
  return row;
}

/**
 * apiKeyByHash, and in the same statement the throttled last_used_at (touchApiKey) moved
 * when the key is usable: not publishable, not revoked, not expired, its merchant active —
 * the checks authenticateSecretKey makes. A request then costs one round trip for its key.
 */
export async function apiKeyByHashTouched(
  db: Db,
  hash: Buffer,
  now: Date,
  before: Date,
): Promise<KeyWithMerchant | undefined> {
  const [row] = await db<KeyWithMerchant[]>`
    with k as (
      select k.*, m.status as merchant_status, m.card_data_capable
      from merchants_api_keys k join merchants_merchants m on m.id = k.merchant_id
      where k.secret_sha256 = ${hash}
    ), touched as (
      update merchants_api_keys t set last_used_at = ${now} from k
      where t.id = k.id and k.kind <> 'publishable' and k.revoked_at is null
        and (k.expires_at is null or k.expires_at > ${now}) and k.merchant_status = 'active'
        and (k.last_used_at is null or k.last_used_at < ${before})
    )
    select * from k`;
  return row;
}

export async function apiKeyByPublishable(
  db: Db,
  pk: string,
): Promise<KeyWithMerchant | undefined> {
  const [row] = await db<KeyWithMerchant[]>`
    select k.*, m.status as merchant_status, m.card_data_capable
    from merchants_api_keys k join merchants_merchants m on m.id = k.merchant_id
    where k.publishable_key = ${pk}`;
  return row;
}

export async function apiKeyById(db: Db, id: string): Promise<ApiKeyRow | undefined> {
  const [row] = await db<ApiKeyRow[]>`select * from merchants_api_keys where id = ${id}`;
  return row;
}

/** Locks the key row so that two rolls or a roll and a revoke do not interleave. */
export async function apiKeyForUpdate(tx: Tx, id: string): Promise<ApiKeyRow | undefined> {
  const [row] = await tx<ApiKeyRow[]>`
    select * from merchants_api_keys where id = ${id} for update`;
  return row;
}

export async function listApiKeys(db: Db, merchantId: string): Promise<ApiKeyRow[]> {
  return db<ApiKeyRow[]>`
    select * from merchants_api_keys where merchant_id = ${merchantId}
    order by created_at, id`;
}

export async function countUsableKeys(tx: Tx, merchantId: string, now: Date): Promise<number> {
  const [row] = await tx<{ n: bigint }[]>`
    select count(*) as n from merchants_api_keys
    where merchant_id = ${merchantId} and revoked_at is null
      and (expires_at is null or expires_at > ${now})`;
  return Number(row?.n ?? 0n);
}

export async function expireApiKey(
  tx: Tx,
  id: string,
  expiresAt: Date,
  replacedBy: string,
): Promise<void> {
  await tx`
    update merchants_api_keys set expires_at = ${expiresAt}, replaced_by = ${replacedBy}
    where id = ${id}`;
}

export async function revokeApiKey(tx: Tx, id: string, now: Date): Promise<void> {
  await tx`update merchants_api_keys set revoked_at = ${now} where id = ${id}`;
}

export async function listOrigins(db: Db, merchantId: string): Promise<string[]> {
  const rows = await db<{ origin: string }[]>`
    select origin from merchants_allowed_origins where merchant_id = ${merchantId}
    order by origin`;
  return rows.map((r) => r.origin);
}

/** Replaces the merchant's allowed origins with the given set. */
export async function replaceOrigins(
  tx: Tx,
  merchantId: string,
  origins: readonly string[],
  now: Date,
): Promise<void> {
  await tx`delete from merchants_allowed_origins where merchant_id = ${merchantId}`;
  if (origins.length === 0) return;
  await tx`
    insert into merchants_allowed_origins (merchant_id, origin, created_at)
    select ${merchantId}, o, ${now} from unnest(${tx.array([...origins])}::text[]) as o`;
}

/** A statement made elsewhere (an audit append) sent alone: a transaction of its own. */
export async function sendAlone(sql: Sql, statement: Fragment): Promise<void> {
  await sql`${statement}`;
}

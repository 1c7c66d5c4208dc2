import { textArray, type Db, type Fragment, type Sql, type Tx } from '../db/index.ts';
import type { Brand } from './card.ts';

// The vault's only SQL. Card numbers reach this file only as ciphertext; security codes never.

export interface CardRow {
  token: string;
  merchant_id: string | null;
  customer_id: string | null;
  brand: Brand;
  bin: string;
  last4: string;
  fingerprint: Buffer;
  ciphertext: Buffer | null;
  wrapped_key: Buffer | null;
  kek_version: number | null;
  /** The address of the shopper's browser that typed the card into the hosted fields. */
  shopper_ip: string | null;
  created_at: Date;
  deleted_at: Date | null;
}

export async function insertCard(tx: Tx, row: Omit<CardRow, 'deleted_at'>): Promise<void> {
  await tx`
    insert into vault_cards (token, merchant_id, customer_id, brand, bin, last4, fingerprint,
      ciphertext, wrapped_key, kek_version, shopper_ip, created_at)
    values (${row.token}, ${row.merchant_id}, ${row.customer_id}, ${row.brand}, ${row.bin},
      ${row.last4}, ${row.fingerprint}, ${row.ciphertext}, ${row.wrapped_key}, ${row.kek_version},
      ${row.shopper_ip}, ${row.created_at})`;
}

export async function cardByToken(
  db: Db,
  token: string,
  lock = false,
): Promise<CardRow | undefined> {
  const rows = lock
    ? await db<CardRow[]>`select * from vault_cards where token = ${token} for share`
    : await db<CardRow[]>`select * from vault_cards where token = ${token}`;
  return rows[0];
}

export async function cardsByFingerprint(db: Db, fingerprint: Buffer): Promise<CardRow[]> {
  return db<CardRow[]>`
    select * from vault_cards where fingerprint = ${fingerprint} and deleted_at is null
    order by created_at limit 100`;
}

/** Crypto-shredding: the data key and the ciphertext are destroyed; display data stays. */
export async function shredCards(
  tx: Tx,
  where: { tokens: readonly string[] } | { customerId: string },
  at: Date,
): Promise<string[]> {
  const rows =
    'tokens' in where
      ? await tx<{ token: string }[]>`
          update vault_cards set wrapped_key = null, ciphertext = null, kek_version = null,
            deleted_at = ${at}
          where token = any(${[...where.tokens]}) and deleted_at is null returning token`
      : await tx<{ token: string }[]>`
          update vault_cards set wrapped_key = null, ciphertext = null, kek_version = null,
            deleted_at = ${at}
          where customer_id = ${where.customerId} and deleted_at is null returning token`;
  return rows.map((r) => r.token);
}

/** A batch of live cards whose data key is wrapped by an older KEK version, locked. */
export async function cardsToRewrap(
  tx: Tx,
  currentVersion: number,
  limit: number,
): Promise<Array<Pick<CardRow, 'token' | 'wrapped_key' | 'kek_version'>>> {
  return tx<Array<Pick<CardRow, 'token' | 'wrapped_key' | 'kek_version'>>>`
    select token, wrapped_key, kek_version from vault_cards
    where deleted_at is null and kek_version <> ${currentVersion}
    order by token limit ${limit} for update skip locked`;
}

export async function rewrapCards(
  tx: Tx,
  rows: ReadonlyArray<{ token: string; wrapped: Buffer; version: number }>,
): Promise<void> {
  if (rows.length === 0) return;
  const tokens = rows.map((r) => r.token);
  const wrapped = rows.map((r) => r.wrapped.toString('hex'));
  const versions = rows.map((r) => r.version);
  await tx`
    update vault_cards c set wrapped_key = decode(u.wrapped_hex, 'hex'), kek_version = u.version
    from unnest(${tokens}::text[], ${wrapped}::text[], ${versions}::int[])
      as u(token, wrapped_hex, version)
    where c.token = u.token and c.deleted_at is null`;
}

export async function kekVersionsInUse(db: Db): Promise<Array<{ version: number; cards: number }>> {
  const rows = await db<{ version: number; cards: bigint }[]>`
    select kek_version as version, count(*) as cards from vault_cards
    where deleted_at is null group by kek_version order by kek_version`;
  return rows.map((r) => ({ version: r.version, cards: Number(r.cards) }));
}

// Hosted card-fields sessions.

export type HostedStatus = 'open' | 'requires_action' | 'succeeded' | 'failed' | 'expired';

export interface HostedSessionRow {
  id: string;
  merchant_id: string;
  parent_origin: string;
  key_sha256: Buffer;
  status: HostedStatus;
  card_token: string | null;
  authorization_id: string | null;
  tokenize_attempts: number;
  created_at: Date;
  expires_at: Date;
}

export async function insertHostedSession(
  db: Db,
  row: Omit<HostedSessionRow, 'status' | 'card_token' | 'authorization_id' | 'tokenize_attempts'>,
): Promise<void> {
  await db`
    insert into vault_hosted_sessions (id, merchant_id, parent_origin, key_sha256, status,
      created_at, expires_at)
    values (${row.id}, ${row.merchant_id}, ${row.parent_origin}, ${row.key_sha256}, 'open',
      ${row.created_at}, ${row.expires_at})`;
}

export async function hostedSessionByKey(
  tx: Tx,
  keyHash: Buffer,
): Promise<HostedSessionRow | undefined> {
  const rows = await tx<HostedSessionRow[]>`
    select * from vault_hosted_sessions where key_sha256 = ${keyHash} for update`;
  return rows[0];
}

export async function updateHostedSession(
  db: Db,
  id: string,
  set: Partial<
    Pick<HostedSessionRow, 'status' | 'card_token' | 'authorization_id' | 'tokenize_attempts'>
  >,
): Promise<void> {
  await db`update vault_hosted_sessions set ${db(set as Record<string, unknown>)} where id = ${id}`;
}

// CSP reports.

export interface CspReportRow {
  received_at: Date;
  document_path: string;
  effective_directive: string;
  blocked_uri: string;
  disposition: 'enforce' | 'report';
  source_file: string | null;
  line_number: number | null;
  sample: string | null;
}

export async function insertCspReport(db: Db, row: CspReportRow): Promise<void> {
  await db`insert into vault_csp_reports ${db(row as unknown as Record<string, unknown>)}`;
}

export async function listCspReports(db: Db, limit: number): Promise<CspReportRow[]> {
  const rows = await db<CspReportRow[]>`
    select received_at, document_path, effective_directive, blocked_uri, disposition, source_file,
      line_number, sample
    from vault_csp_reports order by id desc limit ${limit}`;
  return [...rows];
}

/**
 * A report's page (a challenge's id folded into `:id`, so one page is one group), directive
 * and blocked origin (scheme and host of the blocked URL; `inline`, `eval` and the like as
 * sent), each as SQL over vault_csp_reports.
 */
const CSP_GROUP_COLUMNS = `
  regexp_replace(document_path, '/3ds/challenges/[^/]+', '/3ds/challenges/:id') as page,
  effective_directive as directive,
  coalesce(substring(blocked_uri from '^[a-z][a-z0-9+.-]*://[^/]+'), blocked_uri) as origin`;

export interface CspGroupRow {
  page: string;
  directive: string;
  origin: string;
  bucket: Date;
  n: number;
}

/** Report counts by page, directive, blocked origin and time bucket, since `since`. */
export async function cspReportGroups(
  db: Db,
  p: { since: Date; bucketSeconds: number; limit: number },
): Promise<CspGroupRow[]> {
  return db<CspGroupRow[]>`
    select page, directive, origin,
      date_bin(make_interval(secs => ${p.bucketSeconds}), received_at, timestamptz 'epoch')
        as bucket,
      count(*)::int as n
    from (select ${db.unsafe(CSP_GROUP_COLUMNS)}, received_at from vault_csp_reports
          where received_at >= ${p.since}) r
    group by 1, 2, 3, 4 order by 4, 5 desc limit ${p.limit}`;
}

export interface CspWindowRow {
  page: string;
  directive: string;
  origin: string;
  n: number;
  /** Whether the page reported this origin blocked in the lookback before the window. */
  seen_before: boolean;
}

/** The window's groups, each with whether its origin was blocked on its page before. */
export async function cspWindow(
  db: Db,
  p: { from: Date; to: Date; lookbackFrom: Date },
): Promise<CspWindowRow[]> {
  return db<CspWindowRow[]>`
    with w as (
      select ${db.unsafe(CSP_GROUP_COLUMNS)} from vault_csp_reports
      where received_at >= ${p.from} and received_at < ${p.to}),
    before as (
      select distinct ${db.unsafe(CSP_GROUP_COLUMNS)} from vault_csp_reports
      where received_at >= ${p.lookbackFrom} and received_at < ${p.from})
    select w.page, w.directive, w.origin, count(*)::int as n,
      exists (select 1 from before b where b.page = w.page and b.origin = w.origin)
        as seen_before
    from w group by 1, 2, 3`;
}

/** Reports per page between from and to (the spike detector's baseline). */
export async function cspPageCounts(
  db: Db,
  p: { from: Date; to: Date },
): Promise<Array<{ page: string; n: number }>> {
  return db<Array<{ page: string; n: number }>>`
    select page, count(*)::int as n
    from (select ${db.unsafe(CSP_GROUP_COLUMNS)} from vault_csp_reports
          where received_at >= ${p.from} and received_at < ${p.to}) r
    group by 1`;
}

// Discovery scan: which columns could hold a card number, and where one is.

export interface ScanColumn {
  table: string;
  column: string;
  dataType: string;
}

export async function scannableColumns(sql: Sql): Promise<ScanColumn[]> {
  const rows = await sql<{ table_name: string; column_name: string; data_type: string }[]>`
    select c.table_name, c.column_name, c.data_type
    from information_schema.columns c
    join information_schema.tables t
      on t.table_schema = c.table_schema and t.table_name = c.table_name
    where c.table_schema = current_schema() and t.table_type = 'BASE TABLE'
      and c.data_type in ('text', 'character varying', 'character', 'json', 'jsonb', 'bytea',
        'bigint', 'numeric', 'ARRAY', 'USER-DEFINED')
    order by c.table_name, c.ordinal_position`;
  return rows.map((r) => ({ table: r.table_name, column: r.column_name, dataType: r.data_type }));
}

/**
 * Rows whose column, as text, holds a 13–19 digit run (spaces or dashes between digits): the
 * candidates the card-number detector then decides on. Read through a cursor so that a large
 * table streams instead of loading at once.
 */
export async function scanColumn(
  sql: Sql,
  col: ScanColumn,
  onBatch: (rows: Array<{ row: string; value: string | Buffer }>) => void,
): Promise<void> {
  const bytes = col.dataType === 'bytea';
  const asText = bytes ? sql`encode(${sql(col.column)}, 'escape')` : sql`${sql(col.column)}::text`;
  // Bytes are returned as bytes: their escaped text would glue an octal escape to digits.
  const value = bytes ? sql`${sql(col.column)}` : asText;
  await sql<Array<{ row: string; value: string | Buffer }>>`
    select ctid::text as row, ${value} as value
    from ${sql(col.table)}
    where ${asText} ~ '[0-9]([ -]?[0-9]){12,18}'`.cursor(500, (rows) => {
    onBatch(rows);
  });
}

// Card exports (export.ts): the request, its approval with the ciphertext, downloads.

export interface CardExportRow {
  id: string;
  incident_id: string;
  scope_id: string;
  recipient: string;
  reason: string;
  cards_requested: number;
  requested_by: string;
  requested_at: Date;
  approved_by: string | null;
  approved_at: Date | null;
  cards_exported: number | null;
  ciphertext: Buffer | null;
  ciphertext_sha256: Buffer | null;
  downloads: number;
  downloads_max: number;
  expires_at: Date;
}

export async function insertCardExport(
  tx: Tx,
  row: Omit<
    CardExportRow,
    'approved_by' | 'approved_at' | 'cards_exported' | 'ciphertext' | 'ciphertext_sha256'
  >,
): Promise<void> {
  await tx`
    insert into vault_card_exports (id, incident_id, scope_id, recipient, reason,
      cards_requested, requested_by, requested_at, downloads, downloads_max, expires_at)
    values (${row.id}, ${row.incident_id}, ${row.scope_id}, ${row.recipient}, ${row.reason},
      ${row.cards_requested}, ${row.requested_by}, ${row.requested_at}, ${row.downloads},
      ${row.downloads_max}, ${row.expires_at})`;
}

/** One export, without its ciphertext unless asked (and then locked for the change). */
export async function cardExportById(
  db: Db,
  id: string,
  forUpdate = false,
): Promise<CardExportRow | undefined> {
  const rows = forUpdate
    ? await db<CardExportRow[]>`select * from vault_card_exports where id = ${id} for update`
    : await db<CardExportRow[]>`
        select id, incident_id, scope_id, recipient, reason, cards_requested, requested_by,
          requested_at, approved_by, approved_at, cards_exported, null::bytea as ciphertext,
          ciphertext_sha256, downloads, downloads_max, expires_at
        from vault_card_exports where id = ${id}`;
  return rows[0];
}

export async function cardExportsOf(db: Db, incidentId: string): Promise<CardExportRow[]> {
  return db<CardExportRow[]>`
    select id, incident_id, scope_id, recipient, reason, cards_requested, requested_by,
      requested_at, approved_by, approved_at, cards_exported, null::bytea as ciphertext,
      ciphertext_sha256, downloads, downloads_max, expires_at
    from vault_card_exports where incident_id = ${incidentId}
    order by requested_at, id limit 100`;
}

export async function approveCardExport(
  tx: Tx,
  a: {
    id: string;
    approvedBy: string;
    at: Date;
    cardsExported: number;
    ciphertext: Buffer;
    sha256: Buffer;
  },
): Promise<void> {
  await tx`
    update vault_card_exports set approved_by = ${a.approvedBy}, approved_at = ${a.at},
      cards_exported = ${a.cardsExported}, ciphertext = ${a.ciphertext},
      ciphertext_sha256 = ${a.sha256}
    where id = ${a.id} and approved_by is null`;
}

/** Counts one download; the last one allowed drops the ciphertext with it. */
export async function countCardExportDownload(tx: Tx, id: string): Promise<void> {
  await tx`
    update vault_card_exports set downloads = downloads + 1,
      ciphertext = case when downloads + 1 >= downloads_max then null else ciphertext end,
      ciphertext_sha256 = case when downloads + 1 >= downloads_max then null
        else ciphertext_sha256 end
    where id = ${id}`;
}

/** Drops the ciphertext of an export that expired unused. */
export async function dropCardExportCiphertext(tx: Tx, id: string): Promise<void> {
  await tx`
    update vault_card_exports set ciphertext = null, ciphertext_sha256 = null
    where id = ${id} and ciphertext is not null`;
}

/** One live card (its sealed number) per fingerprint asked for; deleted cards have none. */
export async function liveCardsByFingerprints(
  db: Db,
  fingerprintsHex: readonly string[],
): Promise<CardRow[]> {
  return db<CardRow[]>`
    select distinct on (fingerprint) * from vault_cards
    where fingerprint in (
        select decode(f, 'hex') from unnest(${textArray(fingerprintsHex)}::text[]) f)
      and deleted_at is null
      and ciphertext is not null
    order by fingerprint, created_at`;
}

/** A card and the other live tokens of the same number (at most 100), in one statement. */
/**
 * The other live tokens of these tokens' numbers, as cardsWithSameNumber lists them (at
 * most 100 a card, oldest first), as a statement made but not sent: another module's read
 * embeds it, and the lookup costs no round trip of its own.
 */
export function sameNumberTokens(db: Db, tokens: readonly string[]): Fragment {
  return db`
    select o.token from vault_cards c cross join lateral (
      select o.token from vault_cards o where o.fingerprint = c.fingerprint
        and o.deleted_at is null and o.token <> c.token order by o.created_at limit 100) o
    where c.token = any(${tokens as string[]}::text[])`;
}

export async function cardsWithSameNumber(
  db: Db,
  tokens: readonly string[],
): Promise<
  {
    token: string;
    fingerprint: Buffer;
    bin: string;
    customer_id: string | null;
    shopper_ip: string | null;
    same: string[];
  }[]
> {
  return db`
    select c.token, c.fingerprint, c.bin, c.customer_id::text, host(c.shopper_ip) as shopper_ip,
      array(select o.token from vault_cards o where o.fingerprint = c.fingerprint
        and o.deleted_at is null and o.token <> c.token order by o.created_at limit 100) as same
    from vault_cards c where c.token = any(${tokens as string[]}::text[])`;
}

import type { Sql } from '../db/index.ts';

// The HTTP layer's only SQL: the idempotency keys of POST requests (table idempotency_keys,
// migrations/0007), read and written by idempotency.ts alone.

export interface KeyRow {
  fingerprint: Buffer;
  created_at: Date;
  locked_until: Date | null;
  status_code: number | null;
  content_type: string | null;
  response_body: string | null;
}

/** A claim: who holds the key, for which request, until when it is locked. */
export interface KeyClaim {
  scope: string;
  key: string;
  fingerprint: Buffer;
  now: Date;
  lockedUntil: Date;
}

/** Claims a key not seen before; false when the key is already there. */
export async function insertKey(sql: Sql, c: KeyClaim): Promise<boolean> {
  const rows = await sql`
    insert into idempotency_keys (scope, key, fingerprint, created_at, locked_until)
    values (${c.scope}, ${c.key}, ${c.fingerprint}, ${c.now}, ${c.lockedUntil})
    on conflict (scope, key) do nothing
    returning 1 as claimed`;
  return rows.length === 1;
}

export async function keyOf(sql: Sql, scope: string, key: string): Promise<KeyRow | undefined> {
  const [row] = await sql<KeyRow[]>`
    select fingerprint, created_at, locked_until, status_code, content_type, response_body
    from idempotency_keys where scope = ${scope} and key = ${key}`;
  return row;
}

/** Gives a claimed key up, unanswered: the request did not start, a retry runs afresh. */
export async function releaseKey(sql: Sql, scope: string, key: string): Promise<void> {
  await sql`delete from idempotency_keys
    where scope = ${scope} and key = ${key} and status_code is null`;
}

/** Starts a key afresh when it was created before retainedFrom; false when it was not. */
export async function restartExpiredKey(
  sql: Sql,
  c: KeyClaim,
  retainedFrom: Date,
): Promise<boolean> {
  const rows = await sql`
    insert into idempotency_keys (scope, key, fingerprint, created_at, locked_until)
    values (${c.scope}, ${c.key}, ${c.fingerprint}, ${c.now}, ${c.lockedUntil})
    on conflict (scope, key) do update
      set fingerprint = excluded.fingerprint, created_at = excluded.created_at,
          locked_until = excluded.locked_until, status_code = null, content_type = null,
          response_body = null, completed_at = null
      where idempotency_keys.created_at < ${retainedFrom}
    returning 1`;
  return rows.length === 1;
}

/** Relocks an unanswered key whose lock ran out; false when it is answered or still locked. */
export async function relockAbandonedKey(sql: Sql, c: KeyClaim): Promise<boolean> {
  const rows = await sql`
    update idempotency_keys set locked_until = ${c.lockedUntil}
    where scope = ${c.scope} and key = ${c.key} and completed_at is null
      and locked_until <= ${c.now}
    returning 1`;
  return rows.length === 1;
}

export interface KeyAnswer {
  statusCode: number;
  contentType: string;
  body: string;
  completedAt: Date;
}

/** Stores the first answer to a claimed key and releases its lock. */
export async function storeAnswer(
  sql: Sql,
  scope: string,
  key: string,
  a: KeyAnswer,
): Promise<void> {
  await sql`
    update idempotency_keys
    set status_code = ${a.statusCode}, content_type = ${a.contentType},
        response_body = ${a.body}, completed_at = ${a.completedAt}, locked_until = null
    where scope = ${scope} and key = ${key}`;
}

/** Deletes up to batch keys created before `before`; returns how many. */
export async function purgeKeys(sql: Sql, before: Date, batch: number): Promise<number> {
  const rows = await sql`
    delete from idempotency_keys where ctid in (
      select ctid from idempotency_keys where created_at < ${before} limit ${batch})`;
  return rows.count;
}

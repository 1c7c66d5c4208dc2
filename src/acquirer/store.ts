import type { Db, Fragment, Tx } from '../db/index.ts';

// The acquirer's only SQL. Rows never hold card data: a card is referred to by its token.

export type AuthorizationStatus =
  | 'pending'
  | 'requires_challenge'
  | 'authorized'
  | 'declined'
  | 'failed'
  | 'challenge_failed'
  | 'challenge_expired'
  | 'captured'
  | 'voided'
  | 'refunded';

export interface AuthorizationRow {
  id: string;
  idempotency_key: string;
  request_digest: Buffer;
  attempt_id: string;
  card_token: string;
  amount_minor: bigint;
  currency: string;
  status: AuthorizationStatus;
  three_ds: 'frictionless' | 'challenge' | null;
  decline_code: string | null;
  network_ref: string | null;
  captured_minor: bigint;
  refunded_minor: bigint;
  created_at: Date;
  updated_at: Date;
}

export type ChallengeStatus = 'pending' | 'authenticated' | 'failed' | 'expired';

export interface ChallengeRow {
  id: string;
  authorization_id: string;
  status: ChallengeStatus;
  attempts: number;
  notify_origin: string;
  frame_origins: string[];
  created_at: Date;
  expires_at: Date;
  finished_at: Date | null;
}

export interface OperationRow {
  id: string;
  idempotency_key: string;
  authorization_id: string;
  kind: 'capture' | 'void' | 'refund';
  amount_minor: bigint;
  status: 'pending' | 'succeeded' | 'failed';
  network_ref: string | null;
  failure_code: string | null;
}

/** Inserts a pending authorization, or returns the one already under this idempotency key. */
export async function claimAuthorization(
  db: Db,
  row: Pick<
    AuthorizationRow,
    | 'id'
    | 'idempotency_key'
    | 'request_digest'
    | 'attempt_id'
    | 'card_token'
    | 'amount_minor'
    | 'currency'
    | 'created_at'
  >,
): Promise<{ row: AuthorizationRow; created: boolean }> {
  const inserted = await db<AuthorizationRow[]>`
    insert into acquirer_authorizations (id, idempotency_key, request_digest, attempt_id,
      card_token, amount_minor, currency, status, created_at, updated_at)
    values (${row.id}, ${row.idempotency_key}, ${row.request_digest}, ${row.attempt_id},
      ${row.card_token}, ${row.amount_minor}, ${row.currency}, 'pending', ${row.created_at},
      ${row.created_at})
    on conflict (idempotency_key) do nothing
    returning *`;
  if (inserted[0]) return { row: inserted[0], created: true };
  const [existing] = await db<AuthorizationRow[]>`
    select * from acquirer_authorizations where idempotency_key = ${row.idempotency_key}`;
  return { row: existing!, created: false };
}

export async function authorizationById(
  db: Db,
  id: string,
  lock = false,
): Promise<AuthorizationRow | undefined> {
  const rows = lock
    ? await db<
        AuthorizationRow[]
      >`select * from acquirer_authorizations where id = ${id} for update`
    : await db<AuthorizationRow[]>`select * from acquirer_authorizations where id = ${id}`;
  return rows[0];
}

export async function updateAuthorization(
  tx: Tx,
  id: string,
  set: Partial<
    Pick<
      AuthorizationRow,
      'status' | 'three_ds' | 'decline_code' | 'network_ref' | 'captured_minor' | 'refunded_minor'
    >
  > & { updated_at: Date },
): Promise<AuthorizationRow> {
  const [row] = await tx<AuthorizationRow[]>`
    update acquirer_authorizations set ${tx(set as Record<string, unknown>)}
    where id = ${id} returning *`;
  return row!;
}

export type AuthorizationUpdate = Partial<
  Pick<AuthorizationRow, 'three_ds' | 'decline_code' | 'network_ref'>
> &
  Pick<AuthorizationRow, 'status'>;

/**
 * Records the network's answer on a pending authorization, with its audit entry (made by
 * the audit module, sent here as a WITH item), in one statement; undefined when the row was
 * no longer pending: nothing was updated, and the caller rolls the entry back.
 */
export async function recordAuthorization(
  tx: Tx,
  id: string,
  set: AuthorizationUpdate & { updated_at: Date },
  audit: Fragment,
): Promise<AuthorizationRow | undefined> {
  const [row] = await tx<AuthorizationRow[]>`
    with recorded as (
      update acquirer_authorizations set ${tx(set as Record<string, unknown>)}
      where id = ${id} and status = 'pending' returning *
    ), audit as (${audit})
    select * from recorded`;
  return row;
}

export async function insertChallenge(
  tx: Tx,
  row: Omit<ChallengeRow, 'attempts' | 'finished_at'>,
): Promise<void> {
  await tx`
    insert into acquirer_challenges (id, authorization_id, status, notify_origin, frame_origins,
      created_at, expires_at)
    values (${row.id}, ${row.authorization_id}, ${row.status}, ${row.notify_origin},
      ${row.frame_origins}, ${row.created_at}, ${row.expires_at})`;
}

export async function challengeById(
  db: Db,
  id: string,
  lock = false,
): Promise<ChallengeRow | undefined> {
  const rows = lock
    ? await db<ChallengeRow[]>`select * from acquirer_challenges where id = ${id} for update`
    : await db<ChallengeRow[]>`select * from acquirer_challenges where id = ${id}`;
  return rows[0];
}

export async function challengeByAuthorization(
  db: Db,
  authorizationId: string,
): Promise<ChallengeRow | undefined> {
  const rows = await db<ChallengeRow[]>`
    select * from acquirer_challenges where authorization_id = ${authorizationId}`;
  return rows[0];
}

export async function updateChallenge(
  tx: Tx,
  id: string,
  set: { status?: ChallengeStatus; attempts?: number; finished_at?: Date | null },
): Promise<ChallengeRow> {
  const [row] = await tx<ChallengeRow[]>`
    update acquirer_challenges set ${tx(set as Record<string, unknown>)}
    where id = ${id} returning *`;
  return row!;
}

/** Pending challenges past their deadline, locked so that one sweeper takes each. */
export async function expiredChallenges(tx: Tx, now: Date, limit: number): Promise<ChallengeRow[]> {
  return tx<ChallengeRow[]>`
    select * from acquirer_challenges
    where status = 'pending' and expires_at <= ${now}
    order by expires_at limit ${limit} for update skip locked`;
}

export async function claimOperation(
  db: Db,
  row: Omit<OperationRow, 'status' | 'network_ref' | 'failure_code'> & { at: Date },
): Promise<{ row: OperationRow; created: boolean }> {
  const inserted = await db<OperationRow[]>`
    insert into acquirer_operations (id, idempotency_key, authorization_id, kind, amount_minor,
      status, created_at, updated_at)
    values (${row.id}, ${row.idempotency_key}, ${row.authorization_id}, ${row.kind},
      ${row.amount_minor}, 'pending', ${row.at}, ${row.at})
    on conflict (idempotency_key) do nothing
    returning *`;
  if (inserted[0]) return { row: inserted[0], created: true };
  const [existing] = await db<OperationRow[]>`
    select * from acquirer_operations where idempotency_key = ${row.idempotency_key}`;
  return { row: existing!, created: false };
}

export async function finishOperation(
  tx: Tx,
  id: string,
  set: {
    status: 'succeeded' | 'failed';
    network_ref: string | null;
    failure_code: string | null;
    at: Date;
  },
): Promise<OperationRow> {
  const [row] = await tx<OperationRow[]>`
    update acquirer_operations
    set status = ${set.status}, network_ref = ${set.network_ref},
        failure_code = ${set.failure_code}, updated_at = ${set.at}
    where id = ${id} returning *`;
  return row!;
}

/**
 * A succeeded operation in one statement: the authorization's new state, the operation's
 * end and the audit entry (made by the audit module, sent here as a WITH item).
 */
export async function recordOperation(
  tx: Tx,
  authorization: Partial<Pick<AuthorizationRow, 'status' | 'captured_minor' | 'refunded_minor'>> & {
    id: string;
    updated_at: Date;
  },
  op: { id: string; status: 'succeeded'; network_ref: string | null; failure_code: null; at: Date },
  audit: Fragment,
): Promise<void> {
  const { id, ...set } = authorization;
  await tx`
    with authorization_set as (
      update acquirer_authorizations set ${tx(set as Record<string, unknown>)} where id = ${id}
    ), operation_set as (
      update acquirer_operations
      set status = ${op.status}, network_ref = ${op.network_ref},
          failure_code = ${op.failure_code}, updated_at = ${op.at}
      where id = ${op.id}
    ), audit as (${audit})
    select 1`;
}

export async function operationById(
  db: Db,
  id: string,
  lock = false,
): Promise<OperationRow | undefined> {
  const rows = lock
    ? await db<OperationRow[]>`select * from acquirer_operations where id = ${id} for update`
    : await db<OperationRow[]>`select * from acquirer_operations where id = ${id}`;
  return rows[0];
}

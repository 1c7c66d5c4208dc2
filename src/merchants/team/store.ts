import { textArray, type Db, type Tx } from '../../db/index.ts';
import type { MerchantRole } from './access.ts';

// The team's only SQL: merchant people, their recovery codes and sessions, and invitations.
// Writes take the caller's transaction, so a change and its audit entry commit together.

export interface PersonRow {
  id: string;
  merchant_id: string;
  email: string;
  role: MerchantRole;
  store_ids: string[];
  password_hash: string;
  totp_secret_box: Buffer;
  totp_last_step: bigint | null;
  failures: number;
  locked_until: Date | null;
  status: 'active' | 'removed';
  created_at: Date;
  invited_by: string | null;
  merchant_status: string;
}

const PERSON = `p.id, p.merchant_id, p.email, p.role, p.store_ids, p.password_hash,
  p.totp_secret_box, p.totp_last_step, p.failures, p.locked_until, p.status, p.created_at,
  p.invited_by, m.status as merchant_status`;

export async function personByEmail(db: Db, email: string): Promise<PersonRow | undefined> {
  const [row] = await db<PersonRow[]>`select ${db.unsafe(PERSON)}
    from merchants_people p join merchants_merchants m on m.id = p.merchant_id
    where p.email = ${email} and p.status = 'active'`;
  return row;
}

export async function lockPersonByEmail(tx: Tx, email: string): Promise<PersonRow | undefined> {
  const [row] = await tx<PersonRow[]>`select ${tx.unsafe(PERSON)}
    from merchants_people p join merchants_merchants m on m.id = p.merchant_id
    where p.email = ${email} and p.status = 'active' for update of p`;
  return row;
}

export async function lockPerson(tx: Tx, id: string): Promise<PersonRow | undefined> {
  const [row] = await tx<PersonRow[]>`select ${tx.unsafe(PERSON)}
    from merchants_people p join merchants_merchants m on m.id = p.merchant_id
    where p.id = ${id} for update of p`;
  return row;
}

export async function personAttempt(
  tx: Tx,
  id: string,
  a: { failures: number; lockedUntil: Date | null; totpStep?: bigint | undefined },
): Promise<void> {
  await tx`update merchants_people set failures = ${a.failures},
    locked_until = ${a.lockedUntil},
    totp_last_step = coalesce(${a.totpStep?.toString() ?? null}::int8, totp_last_step)
    where id = ${id}`;
}

export interface NewPerson {
  id: string;
  merchant_id: string;
  email: string;
  role: MerchantRole;
  store_ids: string[];
  password_hash: string;
  totp_secret_box: Buffer;
  totp_last_step: bigint | null;
  created_at: Date;
  invited_by: string | null;
}

/** False when an active person already has this email. */
export async function insertPerson(tx: Tx, p: NewPerson): Promise<boolean> {
  const rows = await tx`insert into merchants_people (id, merchant_id, email, role, store_ids,
      password_hash, totp_secret_box, totp_last_step, created_at, invited_by)
    values (${p.id}, ${p.merchant_id}, ${p.email}, ${p.role}, ${textArray(p.store_ids)}::text[],
      ${p.password_hash}, ${p.totp_secret_box}, ${p.totp_last_step?.toString() ?? null}::int8,
      ${p.created_at}, ${p.invited_by})
    on conflict (email) where status = 'active' do nothing returning id`;
  return rows.length === 1;
}

export async function markRemoved(tx: Tx, id: string, at: Date, by: string): Promise<void> {
  await tx`update merchants_people set status = 'removed', removed_at = ${at}, removed_by = ${by}
    where id = ${id}`;
}

export interface PersonListRow {
  id: string;
  email: string;
  role: MerchantRole;
  store_ids: string[];
  created_at: Date;
  locked_until: Date | null;
}

export async function listPeople(db: Db, merchantId: string): Promise<PersonListRow[]> {
  return db<PersonListRow[]>`select id, email, role, store_ids, created_at, locked_until
    from merchants_people where merchant_id = ${merchantId} and status = 'active'
    order by created_at limit 1000`;
}

/** Emails of the active people whose role is one of these (who hears of an alert). */
export async function emailsByRole(
  db: Db,
  merchantId: string,
  roles: readonly string[],
): Promise<string[]> {
  const rows = await db<{ email: string }[]>`select email from merchants_people
    where merchant_id = ${merchantId} and status = 'active'
      and role = any(${textArray(roles)}::text[])
    order by created_at limit 100`;
  return rows.map((r) => r.email);
}

/** The active owners and admins of merchants: whom Kinko tells of a security incident. */
export async function ownersAndAdmins(
  db: Db,
  merchantIds: readonly string[],
): Promise<{ merchant_id: string; id: string; email: string }[]> {
  if (merchantIds.length === 0) return [];
  return db<{ merchant_id: string; id: string; email: string }[]>`
    select merchant_id, id, email from merchants_people
    where merchant_id = any(${textArray(merchantIds)}::text[]) and status = 'active'
      and role in ('owner', 'admin')
    order by merchant_id, created_at`;
}

export async function hasOwner(db: Db, merchantId: string): Promise<boolean> {
  const rows = await db`select 1 from merchants_people
    where merchant_id = ${merchantId} and role = 'owner' and status = 'active'`;
  return rows.length > 0;
}

// Recovery codes ----------------------------------------------------------------------------

export async function insertRecoveryCodes(
  tx: Tx,
  personId: string,
  hashes: readonly Buffer[],
): Promise<void> {
  await tx`delete from merchants_person_recovery_codes where person_id = ${personId}`;
  await tx`insert into merchants_person_recovery_codes (person_id, code_hash)
    select ${personId}, decode(h, 'hex')
    from unnest(${textArray(hashes.map((h) => h.toString('hex')))}::text[]) as u(h)`;
}

/** Spends one unused code; false when it is unknown or used. */
export async function spendRecoveryCode(
  tx: Tx,
  personId: string,
  hash: Buffer,
  at: Date,
): Promise<boolean> {
  const rows = await tx`update merchants_person_recovery_codes set used_at = ${at}
    where person_id = ${personId} and code_hash = ${hash} and used_at is null
    returning person_id`;
  return rows.length === 1;
}

// Sessions ----------------------------------------------------------------------------------

export async function insertSession(
  tx: Tx,
  s: {
    id: string;
    person_id: string;
    token_hash: Buffer;
    created_at: Date;
    expires_at: Date;
    source_ip: string;
  },
): Promise<void> {
  await tx`insert into merchants_person_sessions
    (id, person_id, token_hash, created_at, last_seen_at, expires_at, source_ip)
    values (${s.id}, ${s.person_id}, ${s.token_hash}, ${s.created_at}, ${s.created_at},
      ${s.expires_at}, ${s.source_ip})`;
}

export interface SessionRow {
  id: string;
  person_id: string;
  last_seen_at: Date;
  expires_at: Date;
  revoked_at: Date | null;
  merchant_id: string;
  email: string;
  role: MerchantRole;
  store_ids: string[];
  status: 'active' | 'removed';
  merchant_status: string;
}

export async function sessionByTokenHash(db: Db, hash: Buffer): Promise<SessionRow | undefined> {
  const [row] = await db<SessionRow[]>`select s.id, s.person_id, s.last_seen_at, s.expires_at,
      s.revoked_at, p.merchant_id, p.email, p.role, p.store_ids, p.status,
      m.status as merchant_status
    from merchants_person_sessions s
    join merchants_people p on p.id = s.person_id
    join merchants_merchants m on m.id = p.merchant_id
    where s.token_hash = ${hash}`;
  return row;
}

export async function touchSession(db: Db, id: string, at: Date): Promise<void> {
  await db`update merchants_person_sessions set last_seen_at = ${at} where id = ${id}`;
}

export async function revokeSession(db: Db, id: string, at: Date, reason: string): Promise<void> {
  await db`update merchants_person_sessions set revoked_at = ${at}, revoked_reason = ${reason}
    where id = ${id} and revoked_at is null`;
}

/** Ends every live session of a person; returns how many. */
export async function revokePersonSessions(
  tx: Tx,
  personId: string,
  at: Date,
  reason: string,
): Promise<number> {
  const rows = await tx`update merchants_person_sessions
    set revoked_at = ${at}, revoked_reason = ${reason}
    where person_id = ${personId} and revoked_at is null returning id`;
  return rows.length;
}

// Invitations -------------------------------------------------------------------------------

export interface InvitationRow {
  id: string;
  merchant_id: string;
  email: string;
  role: MerchantRole;
  store_ids: string[];
  token_hash: Buffer;
  person_id: string;
  pending_password_hash: string | null;
  pending_totp_box: Buffer | null;
  invited_by: string | null;
  created_at: Date;
  expires_at: Date;
  accepted_at: Date | null;
  revoked_at: Date | null;
}

export async function insertInvitation(
  tx: Tx,
  i: Omit<
    InvitationRow,
    'pending_password_hash' | 'pending_totp_box' | 'accepted_at' | 'revoked_at'
  >,
): Promise<void> {
  await tx`insert into merchants_invitations (id, merchant_id, email, role, store_ids,
      token_hash, person_id, invited_by, created_at, expires_at)
    values (${i.id}, ${i.merchant_id}, ${i.email}, ${i.role}, ${textArray(i.store_ids)}::text[],
      ${i.token_hash}, ${i.person_id}, ${i.invited_by}, ${i.created_at}, ${i.expires_at})`;
}

export async function lockInvitationByToken(
  tx: Tx,
  hash: Buffer,
): Promise<InvitationRow | undefined> {
  const [row] = await tx<InvitationRow[]>`select * from merchants_invitations
    where token_hash = ${hash} for update`;
  return row;
}

export async function lockInvitation(tx: Tx, id: string): Promise<InvitationRow | undefined> {
  const [row] = await tx<InvitationRow[]>`select * from merchants_invitations
    where id = ${id} for update`;
  return row;
}

export async function setPending(
  tx: Tx,
  id: string,
  passwordHash: string,
  totpBox: Buffer,
): Promise<void> {
  await tx`update merchants_invitations set pending_password_hash = ${passwordHash},
    pending_totp_box = ${totpBox} where id = ${id}`;
}

export async function markAccepted(tx: Tx, id: string, at: Date): Promise<void> {
  await tx`update merchants_invitations set accepted_at = ${at} where id = ${id}`;
}

export async function markRevoked(tx: Tx, id: string, at: Date): Promise<void> {
  await tx`update merchants_invitations set revoked_at = ${at} where id = ${id}`;
}

export async function openInvitations(
  db: Db,
  merchantId: string,
  now: Date,
): Promise<InvitationRow[]> {
  return db<InvitationRow[]>`select * from merchants_invitations
    where merchant_id = ${merchantId} and accepted_at is null and revoked_at is null
      and expires_at > ${now}
    order by created_at limit 1000`;
}

export async function storesOfMerchant(db: Db, merchantId: string): Promise<string[]> {
  const rows = await db<{ id: string }[]>`select id from merchants_stores
    where merchant_id = ${merchantId}`;
  return rows.map((r) => r.id);
}

// Passkeys ----------------------------------------------------------------------------------

export interface PersonPasskeyRow {
  credential_id: string;
  person_id: string;
  public_key: Buffer;
  counter: bigint;
  transports: string[];
  name: string;
  created_at: Date;
  last_used_at: Date | null;
}

/** Stores a challenge handed out; expired ones go in the same statement. */
export async function insertPasskeyChallenge(
  db: Db,
  c: { challenge: string; personId: string | null; purpose: 'register' | 'login'; expiresAt: Date },
  now: Date,
): Promise<void> {
  await db`with gone as (
      delete from merchants_person_webauthn_challenges where expires_at < ${now}
    )
    insert into merchants_person_webauthn_challenges (challenge, person_id, purpose, expires_at)
    values (${c.challenge}, ${c.personId}, ${c.purpose}, ${c.expiresAt})`;
}

/** Spends a live challenge of this purpose (and person, for register); false otherwise. */
export async function consumePasskeyChallenge(
  tx: Tx,
  c: { challenge: string; personId: string | null; purpose: 'register' | 'login'; now: Date },
): Promise<boolean> {
  const rows = await tx`update merchants_person_webauthn_challenges set used_at = ${c.now}
    where challenge = ${c.challenge} and purpose = ${c.purpose} and used_at is null
      and expires_at > ${c.now}
      and person_id is not distinct from ${c.personId}
    returning challenge`;
  return rows.length === 1;
}

export async function passkeysOfPerson(db: Db, personId: string): Promise<PersonPasskeyRow[]> {
  return db<PersonPasskeyRow[]>`select * from merchants_person_passkeys
    where person_id = ${personId} order by created_at`;
}

export async function lockPersonPasskey(
  tx: Tx,
  credentialId: string,
  personId: string,
): Promise<PersonPasskeyRow | undefined> {
  const [row] = await tx<PersonPasskeyRow[]>`select * from merchants_person_passkeys
    where credential_id = ${credentialId} and person_id = ${personId} for update`;
  return row;
}

/** False when the credential is already registered (to anyone). */
export async function insertPersonPasskey(
  tx: Tx,
  p: Omit<PersonPasskeyRow, 'last_used_at'>,
): Promise<boolean> {
  const rows = await tx`insert into merchants_person_passkeys ${tx(p)}
    on conflict (credential_id) do nothing returning credential_id`;
  return rows.length === 1;
}

export async function personPasskeyUsed(
  tx: Tx,
  credentialId: string,
  counter: bigint,
  at: Date,
): Promise<void> {
  await tx`update merchants_person_passkeys set counter = ${counter}, last_used_at = ${at}
    where credential_id = ${credentialId}`;
}

export async function deletePersonPasskey(
  tx: Tx,
  credentialId: string,
  personId: string,
): Promise<boolean> {
  const rows = await tx`delete from merchants_person_passkeys
    where credential_id = ${credentialId} and person_id = ${personId} returning credential_id`;
  return rows.length === 1;
}

import { textArray, type Db, type Sql, type Tx } from '../db/index.ts';
import type { LoginRealm } from './throttle.ts';

// Identity's only SQL. Plain parameterised statements over the identity_* tables; every
// write takes the caller's transaction so that the change, its audit entry and its messages
// commit together. Reads that decide a write lock their row (FOR UPDATE).

// Customers ---------------------------------------------------------------------------------

export interface CustomerRow {
  id: string;
  email: string;
  phone: string;
  password_hash: string | null;
  status: 'active' | 'frozen' | 'deleted';
  money_hold_until: Date | null;
  created_at: Date;
}

export async function customerByContact(
  db: Db,
  kind: 'email' | 'phone',
  value: string,
): Promise<CustomerRow | undefined> {
  const rows =
    kind === 'email'
      ? await db<CustomerRow[]>`select * from identity_customers where email = ${value}`
      : await db<CustomerRow[]>`select * from identity_customers where phone = ${value}`;
  return rows[0];
}

export async function customerById(
  db: Db,
  id: string,
  lock = false,
): Promise<CustomerRow | undefined> {
  const rows = lock
    ? await db<CustomerRow[]>`select * from identity_customers where id = ${id} for update`
    : await db<CustomerRow[]>`select * from identity_customers where id = ${id}`;
  return rows[0];
}

/**
 * Contacts and money-movement facts of several customers, for the payments module. A deleted
 * customer has none (its contacts are a tombstone): it is left out, as an unknown id is.
 */
export async function customerFacts(
  db: Db,
  ids: readonly string[],
): Promise<(Omit<CustomerRow, 'password_hash'> & { created_at: Date })[]> {
  if (ids.length === 0) return [];
  return db<(Omit<CustomerRow, 'password_hash'> & { created_at: Date })[]>`
    select id, email, phone, status, money_hold_until, created_at
    from identity_customers where id = any(${ids as string[]}::uuid[]) and status <> 'deleted'`;
}

/**
 * Whether the customer's wallet may still be credited (the account is not deleted), its row
 * held (FOR KEY SHARE) until the transaction ends: a deletion, which locks the row FOR
 * UPDATE, waits for the credit to commit and then sees it in the balance.
 */
export async function lockOpenForCredit(tx: Tx, id: string): Promise<boolean> {
  const rows = await tx<{ status: CustomerRow['status'] }[]>`
    select status from identity_customers where id = ${id} for key share`;
  return rows[0] !== undefined && rows[0].status !== 'deleted';
}

export async function contactsInUse(db: Db, email: string, phone: string): Promise<boolean> {
  const rows = await db`
    select 1 from identity_customers where email = ${email} or phone = ${phone} limit 1`;
  return rows.length > 0;
}

export async function insertCustomer(
  tx: Tx,
  c: { id: string; email: string; phone: string; passwordHash: string; now: Date },
): Promise<boolean> {
  const rows = await tx`
    insert into identity_customers (id, email, phone, password_hash, created_at, updated_at)
    values (${c.id}, ${c.email}, ${c.phone}, ${c.passwordHash}, ${c.now}, ${c.now})
    on conflict do nothing returning id`;
  return rows.length === 1;
}

/** A new password (a change or a recovery): also a security change for the risk engine. */
export async function setPassword(tx: Tx, id: string, hash: string, now: Date): Promise<void> {
  await tx`update identity_customers set password_hash = ${hash}, updated_at = ${now},
    security_changed_at = ${now} where id = ${id}`;
}

/**
 * Notes a security change for the risk engine's security_change_minutes signal: a factor
 * added after the first, or recovery codes renewed (setPassword and setContact note theirs).
 */
export async function markSecurityChange(tx: Tx, id: string, now: Date): Promise<void> {
  await tx`update identity_customers set security_changed_at = ${now} where id = ${id}`;
}

export async function setMoneyHold(tx: Tx, id: string, until: Date | null): Promise<void> {
  await tx`update identity_customers set money_hold_until = ${until} where id = ${id}`;
}

/**
 * Freezes (with who did it — an operator id, or null for the customer — and why) or
 * unfreezes an account; unfreezing clears all three.
 */
export async function setFrozen(
  tx: Tx,
  id: string,
  state: { frozen: true; byOperator: string | null; reason: string | null } | { frozen: false },
  now: Date,
): Promise<void> {
  const by = state.frozen ? state.byOperator : null;
  const reason = state.frozen ? state.reason : null;
  await tx`update identity_customers
    set status = ${state.frozen ? 'frozen' : 'active'}, frozen_at = ${state.frozen ? now : null},
        frozen_by = ${by}, frozen_reason = ${reason}, updated_at = ${now}
    where id = ${id}`;
}

export async function setContact(
  tx: Tx,
  id: string,
  channel: 'email' | 'phone',
  value: string,
  now: Date,
): Promise<boolean> {
  const rows =
    channel === 'email'
      ? await tx`update identity_customers set email = ${value}, updated_at = ${now},
            security_changed_at = ${now}
          where id = ${id} and not exists (select 1 from identity_customers where email = ${value})
          returning id`
      : await tx`update identity_customers set phone = ${value}, updated_at = ${now},
            security_changed_at = ${now}
          where id = ${id} and not exists (select 1 from identity_customers where phone = ${value})
          returning id`;
  return rows.length === 1;
}

// Sign-ups ----------------------------------------------------------------------------------

export interface SignupRow {
  id: string;
  email: string;
  phone: string;
  password_hash: string;
  email_code_hash: Buffer;
  phone_code_hash: Buffer;
  conflict: boolean;
  attempts: number;
  expires_at: Date;
  completed_at: Date | null;
}

export async function insertSignup(
  tx: Tx,
  s: Omit<SignupRow, 'attempts' | 'completed_at'> & { created_at: Date },
): Promise<void> {
  await tx`insert into identity_signups ${tx(s)}`;
}

export async function lockSignup(tx: Tx, id: string): Promise<SignupRow | undefined> {
  const rows = await tx<SignupRow[]>`select * from identity_signups where id = ${id} for update`;
  return rows[0];
}

export async function signupAttempted(tx: Tx, id: string, completedAt: Date | null): Promise<void> {
  await tx`update identity_signups set attempts = attempts + 1,
    completed_at = coalesce(${completedAt}, completed_at) where id = ${id}`;
}

// Sessions ----------------------------------------------------------------------------------

export interface SessionRow {
  id: string;
  customer_id: string;
  device_id: string | null;
  strong_auth_at: Date | null;
  strong_auth_factor: string | null;
  created_at: Date;
  last_seen_at: Date;
  expires_at: Date;
  revoked_at: Date | null;
  status: 'active' | 'frozen' | 'deleted';
  money_hold_until: Date | null;
}

export async function insertSession(
  tx: Tx,
  s: {
    id: string;
    customer_id: string;
    token_hash: Buffer;
    device_id: string | null;
    strong_auth_at: Date | null;
    strong_auth_factor: string | null;
    created_at: Date;
    last_seen_at: Date;
    expires_at: Date;
    source_ip: string | null;
    source_prefix: string | null;
  },
): Promise<void> {
  await tx`insert into identity_sessions ${tx(s)}`;
}

export async function sessionByTokenHash(db: Db, hash: Buffer): Promise<SessionRow | undefined> {
  const rows = await db<SessionRow[]>`
    select s.id, s.customer_id, s.device_id, s.strong_auth_at, s.strong_auth_factor,
           s.created_at, s.last_seen_at, s.expires_at, s.revoked_at, c.status, c.money_hold_until
    from identity_sessions s join identity_customers c on c.id = s.customer_id
    where s.token_hash = ${hash}`;
  return rows[0];
}

/**
 * The session a token names, as sessionByTokenHash reads it, and in the same statement its
 * last_seen_at moved to now when it is live (not revoked, customer not deleted, seen since
 * idleSince, expiring after now): what resolveSession checks, so a request costs one
 * round trip for its session, not a read and then a write.
 */
export async function sessionByTokenHashTouched(
  db: Db,
  hash: Buffer,
  now: Date,
  idleSince: Date,
): Promise<SessionRow | undefined> {
  const rows = await db<SessionRow[]>`
    with s as (
      select s.id, s.customer_id, s.device_id, s.strong_auth_at, s.strong_auth_factor,
             s.created_at, s.last_seen_at, s.expires_at, s.revoked_at, c.status,
             c.money_hold_until
      from identity_sessions s join identity_customers c on c.id = s.customer_id
      where s.token_hash = ${hash}
    ), touched as (
      update identity_sessions t set last_seen_at = ${now} from s
      where t.id = s.id and s.revoked_at is null and s.status <> 'deleted'
        and s.last_seen_at >= ${idleSince} and s.expires_at > ${now}
    )
    select * from s`;
  return rows[0];
}

/** Records a strong factor proven on a live session, keeping its token; false if it ended. */
export async function recordStrongAuth(
  tx: Tx,
  id: string,
  factor: string,
  now: Date,
): Promise<boolean> {
  const rows = await tx`update identity_sessions
    set strong_auth_at = ${now}, strong_auth_factor = ${factor}
    where id = ${id} and revoked_at is null returning id`;
  return rows.length === 1;
}

export async function revokeSession(db: Db, id: string, now: Date, reason: string): Promise<void> {
  await db`update identity_sessions set revoked_at = ${now}, revoke_reason = ${reason}
    where id = ${id} and revoked_at is null`;
}

/** Revokes every live session of a customer except `keep`; returns how many. */
export async function revokeCustomerSessions(
  tx: Tx,
  customerId: string,
  now: Date,
  reason: string,
  keep: string | null = null,
): Promise<number> {
  const rows = await tx`update identity_sessions set revoked_at = ${now}, revoke_reason = ${reason}
    where customer_id = ${customerId} and revoked_at is null
      and (${keep}::uuid is null or id <> ${keep}::uuid)
    returning id`;
  return rows.length;
}

export async function bindSessionDevice(
  tx: Tx,
  sessionId: string,
  deviceId: string,
): Promise<void> {
  await tx`update identity_sessions set device_id = ${deviceId} where id = ${sessionId}`;
}

// Devices -----------------------------------------------------------------------------------

export interface DeviceRow {
  id: string;
  customer_id: string;
  name: string;
  public_key: { kty: 'EC'; crv: 'P-256'; x: string; y: string };
  status: 'pending' | 'confirmed' | 'revoked';
  confirm_code_hash: Buffer | null;
  confirm_attempts: number;
  confirm_expires_at: Date | null;
  created_at: Date;
}

export async function insertDevice(
  tx: Tx,
  d: {
    id: string;
    customer_id: string;
    name: string;
    public_key: DeviceRow['public_key'];
    key_thumbprint: string;
    status: 'pending' | 'confirmed';
    confirm_code_hash: Buffer | null;
    confirm_expires_at: Date | null;
    confirmed_by: string | null;
    created_at: Date;
    confirmed_at: Date | null;
  },
): Promise<boolean> {
  const rows = await tx`
    insert into identity_devices (id, customer_id, name, public_key, key_thumbprint, status,
      confirm_code_hash, confirm_expires_at, confirmed_by, created_at, confirmed_at)
    values (${d.id}, ${d.customer_id}, ${d.name}, ${tx.json(d.public_key)}, ${d.key_thumbprint},
      ${d.status}, ${d.confirm_code_hash}, ${d.confirm_expires_at}, ${d.confirmed_by},
      ${d.created_at}, ${d.confirmed_at})
    on conflict (customer_id, key_thumbprint) do nothing returning id`;
  return rows.length === 1;
}

export async function deviceById(db: Db, id: string, lock = false): Promise<DeviceRow | undefined> {
  const rows = lock
    ? await db<DeviceRow[]>`select * from identity_devices where id = ${id} for update`
    : await db<DeviceRow[]>`select * from identity_devices where id = ${id}`;
  return rows[0];
}

export async function listDevices(db: Db, customerId: string): Promise<DeviceRow[]> {
  return db<DeviceRow[]>`select * from identity_devices
    where customer_id = ${customerId} and status <> 'revoked' order by created_at`;
}

/** Revokes a device and ends the sessions bound to it; returns how many sessions ended. */
export async function revokeDevice(tx: Tx, id: string, now: Date): Promise<number> {
  await tx`update identity_devices set status = 'revoked', confirm_code_hash = null
    where id = ${id}`;
  const rows = await tx`update identity_sessions set revoked_at = ${now},
      revoke_reason = 'device_removed'
    where device_id = ${id} and revoked_at is null returning id`;
  return rows.length;
}

export async function deviceAttempted(tx: Tx, id: string): Promise<void> {
  await tx`update identity_devices set confirm_attempts = confirm_attempts + 1 where id = ${id}`;
}

export async function confirmDevice(tx: Tx, id: string, by: string, now: Date): Promise<void> {
  await tx`update identity_devices set status = 'confirmed', confirmed_by = ${by},
    confirmed_at = ${now}, confirm_code_hash = null where id = ${id}`;
}

/**
 * Issues a challenge for a device only if it is the customer's and confirmed, in one
 * statement: false (nothing written) when it is not.
 */
export async function insertDeviceChallenge(
  db: Db,
  customerId: string,
  c: {
    challenge_hash: Buffer;
    session_id: string;
    device_id: string;
    action: string;
    expires_at: Date;
  },
): Promise<boolean> {
  const rows = await db`
    insert into identity_device_challenges
      (challenge_hash, session_id, device_id, action, expires_at)
    select ${c.challenge_hash}, ${c.session_id}, d.id, ${c.action}, ${c.expires_at}
    from identity_devices d
    where d.id = ${c.device_id} and d.customer_id = ${customerId} and d.status = 'confirmed'
    returning device_id`;
  return rows.length === 1;
}

/** Marks a device challenge used, once: the second caller gets nothing back. */
/**
 * What the step-up policy weighs for one session, in one statement: whether the customer
 * has a passkey and a confirmed TOTP, and whether the session's device is confirmed and
 * the customer's.
 */
export async function policyFacts(
  db: Db,
  customerId: string,
  deviceId: string | null,
): Promise<{ passkey: boolean; totp: boolean; device_confirmed: boolean }> {
  const [row] = await db<{ passkey: boolean; totp: boolean; device_confirmed: boolean }[]>`
    select
      exists (select from identity_passkeys where customer_id = ${customerId}) as passkey,
      exists (select from identity_totp
              where customer_id = ${customerId} and confirmed_at is not null) as totp,
      exists (select from identity_devices
              where id = ${deviceId}::uuid and customer_id = ${customerId}
                and status = 'confirmed') as device_confirmed`;
  return row!;
}

export interface ConsumedChallenge {
  session_id: string;
  device_id: string;
  action: string;
  expires_at: Date;
  /** The challenge's device; all null when it no longer exists. */
  device_customer_id: string | null;
  device_status: DeviceRow['status'] | null;
  device_public_key: DeviceRow['public_key'] | null;
}

/**
 * Uses up an unused device challenge, and reads its device in the same statement: a device
 * proof's reads cost one round trip.
 */
export async function consumeDeviceChallengeWithDevice(
  tx: Tx,
  hash: Buffer,
  now: Date,
): Promise<ConsumedChallenge | undefined> {
  const rows = await tx<ConsumedChallenge[]>`
    with c as (
      update identity_device_challenges set used_at = ${now}
      where challenge_hash = ${hash} and used_at is null
      returning session_id, device_id, action, expires_at
    )
    select c.session_id, c.device_id, c.action, c.expires_at,
           d.customer_id as device_customer_id, d.status as device_status,
           d.public_key as device_public_key
    from c left join identity_devices d on d.id = c.device_id`;
  return rows[0];
}

// Second factors ----------------------------------------------------------------------------

export interface TotpRow {
  customer_id: string;
  /** Sealed (sealed.ts); the clear `secret` column is only ever read to seal it. */
  secret_box: Buffer | null;
  confirmed_at: Date | null;
  last_step: bigint | null;
}

export async function totpOf(
  db: Db,
  customerId: string,
  lock = false,
): Promise<TotpRow | undefined> {
  const rows = lock
    ? await db<TotpRow[]>`select customer_id, secret_box, confirmed_at, last_step
        from identity_totp where customer_id = ${customerId} for update`
    : await db<TotpRow[]>`select customer_id, secret_box, confirmed_at, last_step
        from identity_totp where customer_id = ${customerId}`;
  return rows[0];
}

export async function upsertPendingTotp(
  tx: Tx,
  customerId: string,
  secretBox: Buffer,
  now: Date,
): Promise<void> {
  await tx`insert into identity_totp (customer_id, secret_box, created_at)
    values (${customerId}, ${secretBox}, ${now})
    on conflict (customer_id) do update
      set secret = null, secret_box = excluded.secret_box, created_at = excluded.created_at,
      confirmed_at = null, last_step = null
    where identity_totp.confirmed_at is null`;
}

export async function totpUsed(
  tx: Tx,
  customerId: string,
  step: bigint,
  confirmAt: Date | null,
): Promise<void> {
  await tx`update identity_totp set last_step = ${step},
    confirmed_at = coalesce(confirmed_at, ${confirmAt}) where customer_id = ${customerId}`;
}

export interface PasskeyRow {
  credential_id: string;
  customer_id: string;
  public_key: Buffer;
  counter: bigint;
  transports: string[];
}

export async function passkeysOf(db: Db, customerId: string): Promise<PasskeyRow[]> {
  return db<PasskeyRow[]>`select * from identity_passkeys where customer_id = ${customerId}`;
}

export async function lockPasskey(
  tx: Tx,
  credentialId: string,
  customerId: string,
): Promise<PasskeyRow | undefined> {
  const rows = await tx<PasskeyRow[]>`select * from identity_passkeys
    where credential_id = ${credentialId} and customer_id = ${customerId} for update`;
  return rows[0];
}

export async function insertPasskey(
  tx: Tx,
  p: {
    credential_id: string;
    customer_id: string;
    public_key: Buffer;
    counter: bigint;
    transports: string[];
    created_at: Date;
  },
): Promise<boolean> {
  const rows = await tx`insert into identity_passkeys
    (credential_id, customer_id, public_key, counter, transports, created_at)
    values (${p.credential_id}, ${p.customer_id}, ${p.public_key}, ${p.counter},
      ${p.transports}, ${p.created_at})
    on conflict do nothing returning credential_id`;
  return rows.length === 1;
}

export async function passkeyUsed(
  tx: Tx,
  credentialId: string,
  counter: bigint,
  now: Date,
): Promise<void> {
  await tx`update identity_passkeys set counter = ${counter}, last_used_at = ${now}
    where credential_id = ${credentialId}`;
}

export async function insertWebauthnChallenge(
  db: Db,
  c: {
    challenge: string;
    customer_id: string;
    purpose: 'register' | 'authenticate';
    expires_at: Date;
  },
): Promise<void> {
  await db`insert into identity_webauthn_challenges ${db(c)}`;
}

/** Uses a WebAuthn challenge once; a replayed response finds it already used. */
export async function consumeWebauthnChallenge(
  tx: Tx,
  c: { challenge: string; customerId: string; purpose: string; now: Date },
): Promise<boolean> {
  const rows = await tx`update identity_webauthn_challenges set used_at = ${c.now}
    where challenge = ${c.challenge} and customer_id = ${c.customerId} and purpose = ${c.purpose}
      and used_at is null and expires_at > ${c.now}
    returning challenge`;
  return rows.length === 1;
}

export async function replaceRecoveryCodes(
  tx: Tx,
  customerId: string,
  hashes: Buffer[],
  now: Date,
): Promise<void> {
  await tx`delete from identity_recovery_codes where customer_id = ${customerId}`;
  for (const h of hashes) {
    await tx`insert into identity_recovery_codes (customer_id, code_hash, created_at)
      values (${customerId}, ${h}, ${now})`;
  }
}

export async function countRecoveryCodes(db: Db, customerId: string): Promise<number> {
  const rows = await db<{ n: number }[]>`select count(*)::int as n from identity_recovery_codes
    where customer_id = ${customerId} and used_at is null`;
  return rows[0]?.n ?? 0;
}

export async function useRecoveryCode(
  tx: Tx,
  customerId: string,
  hash: Buffer,
  now: Date,
): Promise<boolean> {
  const rows = await tx`update identity_recovery_codes set used_at = ${now}
    where customer_id = ${customerId} and code_hash = ${hash} and used_at is null
    returning customer_id`;
  return rows.length === 1;
}

// Contact changes ---------------------------------------------------------------------------

export interface ContactChangeRow {
  id: string;
  customer_id: string;
  channel: 'email' | 'phone';
  new_value: string;
  code_hash: Buffer;
  attempts: number;
  expires_at: Date;
  completed_at: Date | null;
}

export async function insertContactChange(
  tx: Tx,
  c: Omit<ContactChangeRow, 'attempts' | 'completed_at'>,
): Promise<void> {
  await tx`insert into identity_contact_changes ${tx(c)}`;
}

export async function lockContactChange(tx: Tx, id: string): Promise<ContactChangeRow | undefined> {
  const rows = await tx<ContactChangeRow[]>`select * from identity_contact_changes
    where id = ${id} for update`;
  return rows[0];
}

export async function contactChangeAttempted(
  tx: Tx,
  id: string,
  completedAt: Date | null,
): Promise<void> {
  await tx`update identity_contact_changes set attempts = attempts + 1,
    completed_at = coalesce(${completedAt}, completed_at) where id = ${id}`;
}

// Recovery ----------------------------------------------------------------------------------

export interface RecoveryRow {
  id: string;
  customer_id: string | null;
  email_code_hash: Buffer;
  phone_code_hash: Buffer | null;
  email_verified_at: Date | null;
  attempts: number;
  expires_at: Date;
  completed_at: Date | null;
}

export async function insertRecovery(
  tx: Tx,
  r: Omit<RecoveryRow, 'attempts' | 'completed_at' | 'email_verified_at'> & {
    created_at: Date;
    source_ip: string | null;
  },
): Promise<void> {
  await tx`insert into identity_recoveries ${tx(r)}`;
}

export async function lockRecovery(tx: Tx, id: string): Promise<RecoveryRow | undefined> {
  const rows = await tx<
    RecoveryRow[]
  >`select * from identity_recoveries where id = ${id} for update`;
  return rows[0];
}

export async function recoveryUpdate(
  tx: Tx,
  id: string,
  u: { failed?: boolean; emailVerifiedAt?: Date; completedAt?: Date },
): Promise<void> {
  await tx`update identity_recoveries set
    attempts = attempts + ${u.failed ? 1 : 0},
    email_verified_at = coalesce(${u.emailVerifiedAt ?? null}, email_verified_at),
    completed_at = coalesce(${u.completedAt ?? null}, completed_at)
    where id = ${id}`;
}

/** Freeze-link tokens (their hashes) for customers, one row each, with one insert. */
export async function insertFreezeTokens(
  tx: Tx,
  tokens: readonly { hash: Buffer; customerId: string }[],
  expiresAt: Date,
): Promise<void> {
  if (tokens.length === 0) return;
  await tx`
    insert into identity_freeze_tokens (token_hash, customer_id, expires_at)
    select decode(h, 'hex'), c, ${expiresAt}
    from unnest(${tokens.map((t) => t.hash.toString('hex'))}::text[],
                ${tokens.map((t) => t.customerId)}::uuid[]) as u(h, c)`;
}

export async function consumeFreezeToken(
  tx: Tx,
  hash: Buffer,
  now: Date,
): Promise<string | undefined> {
  const rows = await tx<
    { customer_id: string }[]
  >`update identity_freeze_tokens set used_at = ${now}
    where token_hash = ${hash} and used_at is null and expires_at > ${now}
    returning customer_id`;
  return rows[0]?.customer_id;
}

// Throttles ---------------------------------------------------------------------------------

export interface LoginFailureRow {
  consecutive: number;
  delay_until: Date | null;
  disabled_at: Date | null;
}

/**
 * The identifier's counters, locked until the transaction ends (created at zero if absent):
 * the check and the count of an attempt happen under this one lock.
 */
export async function lockLoginFailures(
  tx: Tx,
  identifierHash: Buffer,
  now: Date,
): Promise<LoginFailureRow> {
  const rows = await tx<LoginFailureRow[]>`
    insert into identity_login_failures (identifier_hash, consecutive, updated_at)
    values (${identifierHash}, 0, ${now})
    on conflict (identifier_hash) do update set identifier_hash = excluded.identifier_hash
    returning consecutive, delay_until, disabled_at`;
  return rows[0]!;
}

export async function saveLoginFailures(
  tx: Tx,
  identifierHash: Buffer,
  s: { consecutive: number; delayUntil: Date | null; now: Date },
): Promise<void> {
  await tx`update identity_login_failures set consecutive = ${s.consecutive},
    delay_until = ${s.delayUntil}, updated_at = ${s.now}
    where identifier_hash = ${identifierHash}`;
}

/** Turns the password factor off; true only for the call that turned it off. */
export async function disablePasswordLogin(
  tx: Tx,
  identifierHash: Buffer,
  now: Date,
): Promise<boolean> {
  const rows = await tx`update identity_login_failures set disabled_at = ${now}
    where identifier_hash = ${identifierHash} and disabled_at is null returning 1`;
  return rows.length === 1;
}

/** Takes back one counted attempt that turned out not to be a wrong password. */
export async function releaseLoginFailure(tx: Tx, identifierHash: Buffer): Promise<void> {
  await tx`update identity_login_failures set consecutive = greatest(consecutive - 1, 0)
    where identifier_hash = ${identifierHash}`;
}

export async function clearLoginFailures(tx: Tx, identifierHashes: Buffer[]): Promise<void> {
  for (const h of identifierHashes)
    await tx`delete from identity_login_failures where identifier_hash = ${h}`;
}

export interface SourceRow {
  source_prefix: string;
  window_started_at: Date;
  failures: number;
  next_allowed_at: Date | null;
  blocked_until: Date | null;
  detected_at: Date | null;
}

/**
 * A source bucket's counters, locked until the transaction ends, in one statement (the row
 * is created empty if absent; the no-op update takes the lock and returns the current row).
 */
export async function lockSourceState(tx: Tx, bucket: string, now: Date): Promise<SourceRow> {
  const rows = await tx<SourceRow[]>`
    insert into identity_source_failures (source_prefix, window_started_at, failures)
    values (${bucket}, ${now}, 0)
    on conflict (source_prefix) do update set source_prefix = excluded.source_prefix
    returning *`;
  return rows[0]!;
}

export async function saveSourceState(tx: Tx, s: SourceRow): Promise<void> {
  await tx`update identity_source_failures set window_started_at = ${s.window_started_at},
    failures = ${s.failures}, next_allowed_at = ${s.next_allowed_at},
    blocked_until = ${s.blocked_until}, detected_at = ${s.detected_at}
    where source_prefix = ${s.source_prefix}`;
}

/**
 * Takes back one counted attempt of a source that turned out to be a success. A row left
 * with nothing to remember goes, so networks that only ever sign in leave no rows behind.
 */
export async function releaseSourceAttempt(tx: Tx, bucket: string, now: Date): Promise<void> {
  await tx`delete from identity_source_failures where source_prefix = ${bucket}
    and failures <= 1 and (blocked_until is null or blocked_until <= ${now})`;
  await tx`update identity_source_failures set failures = greatest(failures - 1, 0)
    where source_prefix = ${bucket}`;
}

/**
 * Sources blocked now, or slowed in their current window (not only while their next slot is
 * ahead, which lasted seconds), most attempts first.
 */
export async function listThrottledSources(
  db: Db,
  now: Date,
  q: { windowSeconds: number; slowAfter: number; limit: number },
): Promise<SourceRow[]> {
  return db<SourceRow[]>`select * from identity_source_failures
    where blocked_until > ${now}
       or (failures >= ${q.slowAfter}
           and window_started_at > ${now}::timestamptz - make_interval(secs => ${q.windowSeconds}))
    order by failures desc limit ${q.limit}`;
}

export async function unblockSource(tx: Tx, prefix: string): Promise<boolean> {
  const rows = await tx`update identity_source_failures set blocked_until = null,
    next_allowed_at = null, failures = 0 where source_prefix = ${prefix} returning source_prefix`;
  return rows.length === 1;
}

export interface DetectionRow {
  id: string;
  realm: LoginRealm;
  source_prefix: string;
  detected_at: Date;
  attempts_in_window: number;
  acknowledged_at: Date | null;
  acknowledged_by: string | null;
  acknowledgement_note: string | null;
}

export async function insertDetection(
  tx: Tx,
  d: Omit<DetectionRow, 'acknowledged_at' | 'acknowledged_by' | 'acknowledgement_note'>,
): Promise<void> {
  await tx`insert into identity_stuffing_detections
    (id, realm, source_prefix, detected_at, attempts_in_window)
    values (${d.id}, ${d.realm}, ${d.source_prefix}, ${d.detected_at}, ${d.attempts_in_window})`;
}

/** Detections newest first: the open ones only, or all of them (the history). */
export async function listDetections(
  db: Db,
  q: { open: boolean; limit: number; before: Date | null },
): Promise<DetectionRow[]> {
  return db<DetectionRow[]>`select * from identity_stuffing_detections
    where (${!q.open}::boolean or acknowledged_at is null)
      and (${q.before}::timestamptz is null or detected_at < ${q.before}::timestamptz)
    order by detected_at desc, id desc limit ${q.limit}`;
}

export async function lockDetection(tx: Tx, id: string): Promise<DetectionRow | undefined> {
  const rows = await tx<DetectionRow[]>`select * from identity_stuffing_detections
    where id = ${id} for update`;
  return rows[0];
}

export async function acknowledgeDetection(
  tx: Tx,
  a: { id: string; operatorId: string; note: string; now: Date },
): Promise<void> {
  await tx`update identity_stuffing_detections set acknowledged_at = ${a.now},
    acknowledged_by = ${a.operatorId}, acknowledgement_note = ${a.note}
    where id = ${a.id}`;
}

/** Adds one to a fixed-window counter and returns the count and when the window began. */
export async function bumpCounter(
  tx: Db,
  key: string,
  now: Date,
  windowSeconds: number,
): Promise<{ count: number; window_started_at: Date }> {
  const rows = await tx<{ count: number; window_started_at: Date }[]>`
    insert into identity_rate_counters (key, window_started_at, count) values (${key}, ${now}, 1)
    on conflict (key) do update set
      count = case when identity_rate_counters.window_started_at
                     <= ${now}::timestamptz - make_interval(secs => ${windowSeconds})
                   then 1 else identity_rate_counters.count + 1 end,
      window_started_at = case when identity_rate_counters.window_started_at
                     <= ${now}::timestamptz - make_interval(secs => ${windowSeconds})
                   then ${now} else identity_rate_counters.window_started_at end
    returning count, window_started_at`;
  return rows[0]!;
}

export async function resetCounter(tx: Tx, key: string): Promise<void> {
  await tx`delete from identity_rate_counters where key = ${key}`;
}

// Operators ---------------------------------------------------------------------------------

export interface OperatorRow {
  id: string;
  email: string;
  name: string;
  role: 'support' | 'risk_analyst' | 'security_admin';
  password_hash: string;
  /** Sealed (sealed.ts); the clear `totp_secret` column is only ever read to seal it. */
  totp_secret_box: Buffer | null;
  totp_last_step: bigint | null;
  failures: number;
  locked_until: Date | null;
  status: 'active' | 'disabled';
}

export async function insertOperator(
  tx: Tx,
  o: {
    id: string;
    email: string;
    name: string;
    role: OperatorRow['role'];
    password_hash: string;
    totp_secret_box: Buffer;
    created_at: Date;
    created_by: string | null;
  },
): Promise<boolean> {
  const rows = await tx`insert into identity_operators ${tx(o)}
    on conflict (email) do nothing returning id`;
  return rows.length === 1;
}

const OPERATOR_COLUMNS = `id, email, name, role, password_hash, totp_secret_box, totp_last_step,
  failures, locked_until, status`;

export async function lockOperatorByEmail(tx: Tx, email: string): Promise<OperatorRow | undefined> {
  const rows = await tx<OperatorRow[]>`select ${tx.unsafe(OPERATOR_COLUMNS)}
    from identity_operators where email = ${email} for update`;
  return rows[0];
}

export async function operatorById(db: Db, id: string): Promise<OperatorRow | undefined> {
  const rows = await db<OperatorRow[]>`select ${db.unsafe(OPERATOR_COLUMNS)}
    from identity_operators where id = ${id}`;
  return rows[0];
}

/** TOTP secrets still in clear (written before migration 0015), locked, to be sealed. */
export async function lockClearTotpSecrets(tx: Tx): Promise<{ id: string; secret: Buffer }[]> {
  return tx<{ id: string; secret: Buffer }[]>`
    select customer_id as id, secret from identity_totp where secret is not null for update`;
}

export async function lockClearOperatorSecrets(tx: Tx): Promise<{ id: string; secret: Buffer }[]> {
  return tx<{ id: string; secret: Buffer }[]>`
    select id, totp_secret as secret from identity_operators
    where totp_secret is not null for update`;
}

export async function storeSealedTotpSecret(tx: Tx, id: string, box: Buffer): Promise<void> {
  await tx`update identity_totp set secret = null, secret_box = ${box} where customer_id = ${id}`;
}

export async function storeSealedOperatorSecret(tx: Tx, id: string, box: Buffer): Promise<void> {
  await tx`update identity_operators set totp_secret = null, totp_secret_box = ${box}
    where id = ${id}`;
}

/**
 * Rewrites both TOTP tables, so the old versions of rows whose secrets were in clear leave
 * the data files (VACUUM cannot run inside a transaction: this takes the pool).
 */
export async function vacuumTotpTables(sql: Sql): Promise<void> {
  await sql`vacuum full identity_totp, identity_operators`;
}

export async function operatorAttempt(
  tx: Tx,
  id: string,
  u: { failures: number; lockedUntil: Date | null; totpStep?: bigint },
): Promise<void> {
  await tx`update identity_operators set failures = ${u.failures}, locked_until = ${u.lockedUntil},
    totp_last_step = coalesce(${u.totpStep ?? null}::bigint, totp_last_step) where id = ${id}`;
}

export interface OperatorSessionRow {
  id: string;
  operator_id: string;
  last_seen_at: Date;
  expires_at: Date;
  revoked_at: Date | null;
  role: OperatorRow['role'];
  status: OperatorRow['status'];
}

export async function insertOperatorSession(
  tx: Tx,
  s: {
    id: string;
    operator_id: string;
    token_hash: Buffer;
    created_at: Date;
    last_seen_at: Date;
    expires_at: Date;
    source_ip: string | null;
  },
): Promise<void> {
  await tx`insert into identity_operator_sessions ${tx(s)}`;
}

export async function operatorSessionByTokenHash(
  db: Db,
  hash: Buffer,
): Promise<OperatorSessionRow | undefined> {
  const rows = await db<OperatorSessionRow[]>`
    select s.id, s.operator_id, s.last_seen_at, s.expires_at, s.revoked_at, o.role, o.status
    from identity_operator_sessions s join identity_operators o on o.id = s.operator_id
    where s.token_hash = ${hash}`;
  return rows[0];
}

export async function touchOperatorSession(
  db: Db,
  id: string,
  now: Date,
  revoke: boolean,
): Promise<void> {
  await db`update identity_operator_sessions set last_seen_at = ${now},
    revoked_at = case when ${revoke} then ${now}::timestamptz else revoked_at end
    where id = ${id}`;
}

export async function sessionExpiry(tx: Tx, id: string): Promise<Date> {
  const rows = await tx<{ expires_at: Date }[]>`select expires_at from identity_sessions
    where id = ${id} for update`;
  return rows[0]!.expires_at;
}

export async function operatorByEmail(db: Db, email: string): Promise<OperatorRow | undefined> {
  const rows = await db<OperatorRow[]>`select ${db.unsafe(OPERATOR_COLUMNS)}
    from identity_operators where email = ${email}`;
  return rows[0];
}

/** An account's freeze state, locked, for a freeze or unfreeze decision. */
export async function freezeStateForUpdate(tx: Tx, id: string) {
  const rows = await tx<
    {
      id: string;
      email: string;
      phone: string;
      status: CustomerRow['status'];
      frozen_by: string | null;
      frozen_reason: string | null;
    }[]
  >`select id, email, phone, status, frozen_by, frozen_reason
    from identity_customers where id = ${id} for update`;
  return rows[0];
}

export async function customerOverview(db: Db, id: string) {
  const rows = await db<
    {
      id: string;
      email: string;
      phone: string;
      status: string;
      money_hold_until: Date | null;
      created_at: Date;
      frozen_at: Date | null;
      frozen_by: string | null;
      frozen_reason: string | null;
      devices: number;
      sessions: number;
    }[]
  >`
    select c.id, c.email, c.phone, c.status, c.money_hold_until, c.created_at,
      c.frozen_at, c.frozen_by, c.frozen_reason,
      (select count(*)::int from identity_devices d
        where d.customer_id = c.id and d.status = 'confirmed') as devices,
      (select count(*)::int from identity_sessions s
        where s.customer_id = c.id and s.revoked_at is null) as sessions
    from identity_customers c where c.id = ${id}`;
  return rows[0];
}

/** The count of a fixed-window counter, or 0 when its window has passed. */
export async function counterValue(
  db: Db,
  key: string,
  now: Date,
  windowSeconds: number,
): Promise<number> {
  const rows = await db<{ count: number }[]>`select count from identity_rate_counters
    where key = ${key}
      and window_started_at > ${now}::timestamptz - make_interval(secs => ${windowSeconds})`;
  return rows[0]?.count ?? 0;
}

// Deletion ----------------------------------------------------------------------------------

/**
 * Marks a customer deleted and erases what the retained records do not need: contacts become
 * tombstones (free for a new sign-up), the password hash, factors, recovery codes, devices'
 * keys and pending codes go. The row and its id stay for the ledger and the audit trail.
 */
export async function eraseCustomer(
  tx: Tx,
  c: { id: string; email: string; phone: string },
  now: Date,
): Promise<void> {
  const tombstone = `deleted:${c.id}`;
  await tx`update identity_customers set status = 'deleted', email = ${tombstone},
      phone = ${tombstone}, password_hash = null, money_hold_until = null, deleted_at = ${now},
      updated_at = ${now}
    where id = ${c.id}`;
  await tx`update identity_devices set status = 'revoked', name = 'deleted',
      confirm_code_hash = null
    where customer_id = ${c.id}`;
  await tx`delete from identity_device_challenges
    where device_id in (select id from identity_devices where customer_id = ${c.id})`;
  await tx`delete from identity_totp where customer_id = ${c.id}`;
  await tx`delete from identity_passkeys where customer_id = ${c.id}`;
  await tx`delete from identity_webauthn_challenges where customer_id = ${c.id}`;
  await tx`delete from identity_recovery_codes where customer_id = ${c.id}`;
  await tx`delete from identity_contact_changes where customer_id = ${c.id}`;
  await tx`delete from identity_recoveries where customer_id = ${c.id}`;
  await tx`update identity_freeze_tokens set used_at = coalesce(used_at, ${now})
    where customer_id = ${c.id}`;
  await tx`delete from identity_signups where email = ${c.email} or phone = ${c.phone}`;
}

/** Active operators of a role, with their email: whom the console's changes are told to. */
/** Operators' names by id (any status: a name on a timeline outlives the account). */
export async function operatorNames(
  db: Db,
  ids: readonly string[],
): Promise<{ id: string; name: string }[]> {
  if (ids.length === 0) return [];
  return db<{ id: string; name: string }[]>`select id::text as id, name from identity_operators
    where id::text = any(${textArray(ids)}::text[])`;
}

export async function activeOperatorsWithRole(
  db: Db,
  role: OperatorRow['role'],
): Promise<{ id: string; email: string }[]> {
  return db<{ id: string; email: string }[]>`select id, email from identity_operators
    where role = ${role} and status = 'active' order by id`;
}

/** The rows of identity's risk facts: one statement for a whole batch of attempts. */
export interface RiskFactRow {
  what: 'customer' | 'device' | 'source' | 'accounts';
  key: string;
  at: Date | null;
  n: number | null;
}

/**
 * How many of a network's latest sign-ins a day's account count looks at: it bounds the read
 * on a carrier's shared addresses, where thousands sign in, and rules compare with tens.
 */
export const SOURCE_SIGN_INS_COUNTED_MAX = 5000;

export async function riskFacts(
  db: Db,
  q: { customerIds: string[]; deviceIds: string[]; sourceBuckets: string[]; since: Date },
): Promise<RiskFactRow[]> {
  // Each part is an indexed lookup: customers and devices by primary key, the accounts on a
  // device key by identity_devices_key_thumbprint, a network's failures by primary key, the
  // accounts signed in from a network since `since` by identity_sessions_source (index only).
  return db<RiskFactRow[]>`
    select 'customer' as what, id::text as key, security_changed_at as at, null::int as n
      from identity_customers where id = any(${q.customerIds}::uuid[])
    union all
    select 'device', d.id::text, coalesce(d.confirmed_at, d.created_at),
      (select count(distinct o.customer_id)::int from identity_devices o
        where o.key_thumbprint = d.key_thumbprint)
      from identity_devices d where d.id = any(${q.deviceIds}::uuid[])
    union all
    select 'source', source_prefix, window_started_at, failures
      from identity_source_failures where source_prefix = any(${q.sourceBuckets}::text[])
    union all
    select 'accounts', b.prefix, null,
      (select count(distinct s.customer_id)::int from (
        select customer_id from identity_sessions
        where source_prefix = b.prefix and created_at > ${q.since}
        order by created_at desc limit ${SOURCE_SIGN_INS_COUNTED_MAX}) s)
      from unnest(${q.sourceBuckets}::text[]) as b(prefix)`;
}

// A customer's recent activity, as the operators' review page shows it: sign-ins (sessions),
// devices, and security changes (recoveries, contact changes, factors enrolled).

export interface ActivityRows {
  sessions: {
    created_at: Date;
    source_ip: string | null;
    device_id: string | null;
    strong_auth_factor: string | null;
    revoked_at: Date | null;
  }[];
  devices: {
    id: string;
    name: string;
    status: string;
    created_at: Date;
    confirmed_at: Date | null;
  }[];
  changes: { kind: string; at: Date; source_ip: string | null }[];
}

export async function activityOf(db: Db, customerId: string, limit: number) {
  const [sessions, devices, changes] = await Promise.all([
    db<ActivityRows['sessions']>`
      select created_at, source_ip, device_id, strong_auth_factor, revoked_at
      from identity_sessions where customer_id = ${customerId}
      order by created_at desc limit ${limit}`,
    db<ActivityRows['devices']>`
      select id, name, status, created_at, confirmed_at
      from identity_devices where customer_id = ${customerId}
      order by created_at desc limit ${limit}`,
    db<ActivityRows['changes']>`
      select kind, at, source_ip from (
        select 'recovery' as kind, completed_at as at, source_ip from identity_recoveries
          where customer_id = ${customerId} and completed_at is not null
        union all
        select 'contact_' || channel, completed_at, null from identity_contact_changes
          where customer_id = ${customerId} and completed_at is not null
        union all
        select 'passkey_added', created_at, null from identity_passkeys
          where customer_id = ${customerId}
        union all
        select 'totp_enrolled', confirmed_at, null from identity_totp
          where customer_id = ${customerId} and confirmed_at is not null
      ) c order by at desc limit ${limit}`,
  ]);
  return { sessions, devices, changes } satisfies ActivityRows;
}

import type { Tx } from '../../db/index.ts';
import type { KinkoError } from '../../lib/errors.ts';
import { uuidv7 } from '../../lib/ids.ts';
import type { AuthenticationResponseJSON, SignInReservation } from '../../identity/index.ts';
import type { Source } from '../merchants.ts';
import { merchantsError } from '../errors.ts';
import { mayManage, type MerchantRole } from './access.ts';
import { at, commitThenThrow, personEntry, type TeamDeps } from './context.ts';
import { passkeyFactor } from './passkeys.ts';
import * as store from './store.ts';

// Merchant people sign in: email, password and a second factor, always together — a TOTP
// code, a passkey of theirs (passkeys.ts), or one of their recovery codes in its place.
// There is no path that takes a password alone, and no account without a factor (an
// invitation becomes a person only once its authenticator is confirmed). The rules are the
// operators' (PCI DSS 4.0 8.3.4, 8.2.8), through identity's sign-in kit: throttles counted
// before the password is checked, a lock after ten failures, sessions that end after
// fifteen idle minutes.

export interface PersonSession {
  id: string;
  personId: string;
  merchantId: string;
  email: string;
  role: MerchantRole;
  /** A store manager's stores; null for every other role (all of the merchant's). */
  storeIds: string[] | null;
}

interface SignIn {
  email: string;
  password: string;
  totpCode?: string | undefined;
  recoveryCode?: string | undefined;
  passkey?: AuthenticationResponseJSON | undefined;
}

export interface SignedIn {
  token: string;
  session: PersonSession;
  expiresAt: Date;
}

const emailOf = (deps: TeamDeps, raw: string) =>
  deps.kit.normalizeEmail(raw) ?? raw.trim().toLowerCase();

export async function personLogin(
  deps: TeamDeps,
  input: SignIn,
  source: Source,
): Promise<SignedIn> {
  const email = emailOf(deps, input.email);
  const reservation = await deps.kit.reserve(source, email);
  const found = await store.personByEmail(deps.sql, email);
  const passwordOk = await deps.kit.verifyPassword(found?.password_hash, input.password);
  return commitThenThrow(deps, async (tx) => {
    const p = await store.lockPersonByEmail(tx, email);
    const now = deps.clock.nowMs();
    const who = { personId: p?.id ?? null, merchantId: p?.merchant_id ?? null };
    if (p?.locked_until && p.locked_until.getTime() > now) {
      await deps.audit.append(tx, [
        personEntry('merchants.person.login_locked', who, source, 'denied'),
      ]);
      const wait = Math.ceil((p.locked_until.getTime() - now) / 1000);
      return merchantsError('person_locked', { extra: { retry_after_seconds: wait } });
    }
    const factor = p && passwordOk ? await secondFactor(deps, tx, p, input) : undefined;
    if (!p || !passwordOk || !factor) return failure(deps, tx, p, reservation, source);
    await deps.kit.succeeded(tx, reservation);
    await store.personAttempt(tx, p.id, { failures: 0, lockedUntil: null, totpStep: factor.step });
    if (p.merchant_status !== 'active') return merchantsError('merchant_suspended');
    return openSession(deps, tx, p, factor.kind, source);
  });
}

/** The factor that came with a right password: a TOTP step, or a recovery code spent. */
async function secondFactor(
  deps: TeamDeps,
  tx: Tx,
  p: store.PersonRow,
  input: SignIn,
): Promise<{ kind: 'totp' | 'recovery_code' | 'passkey'; step?: bigint } | undefined> {
  if (input.totpCode !== undefined) {
    const step = deps.kit.matchTotp(p.id, p.totp_secret_box, input.totpCode, p.totp_last_step);
    return step === undefined ? undefined : { kind: 'totp', step };
  }
  if (input.recoveryCode !== undefined) {
    const hash = deps.kit.recoveryCodeHash(input.recoveryCode);
    const spent = await store.spendRecoveryCode(tx, p.id, hash, at(deps));
    return spent ? { kind: 'recovery_code' } : undefined;
  }
  if (input.passkey !== undefined) {
    return (await passkeyFactor(deps, tx, p.id, input.passkey)) ? { kind: 'passkey' } : undefined;
  }
  return undefined;
}

async function failure(
  deps: TeamDeps,
  tx: Tx,
  p: store.PersonRow | undefined,
  reservation: SignInReservation,
  source: Source,
): Promise<KinkoError> {
  const who = { personId: p?.id ?? null, merchantId: p?.merchant_id ?? null };
  const entries = [
    personEntry('merchants.person.login_failed', who, source, 'failure'),
    ...(await deps.kit.failed(tx, reservation, source)),
  ];
  if (p) {
    const failures = p.failures + 1;
    const lock = failures >= deps.kit.limits.failuresLockAfter;
    await store.personAttempt(tx, p.id, {
      failures: lock ? 0 : failures,
      lockedUntil: lock ? at(deps, deps.kit.limits.lockSeconds) : null,
    });
    if (lock) {
      entries.push(personEntry('merchants.person.locked', who, source, 'denied', { failures }));
    }
  }
  await deps.audit.append(tx, entries);
  // Which of email, password and code was wrong is not told.
  return merchantsError('person_credentials_invalid');
}

/** A new session for a person who has just proven password and factor (or accepted). */
export async function openSession(
  deps: TeamDeps,
  tx: Tx,
  p: Pick<store.PersonRow, 'id' | 'merchant_id' | 'email' | 'role' | 'store_ids'>,
  factor: string,
  source: Source,
): Promise<SignedIn> {
  const { token, hash } = deps.kit.sessionToken();
  const id = uuidv7(deps.clock.nowMs());
  const expiresAt = at(deps, deps.kit.limits.sessionAbsoluteSecondsMax);
  await store.insertSession(tx, {
    id,
    person_id: p.id,
    token_hash: hash,
    created_at: at(deps),
    expires_at: expiresAt,
    source_ip: source.ip,
  });
  const who = { personId: p.id, merchantId: p.merchant_id };
  await deps.audit.append(tx, [
    personEntry('merchants.person.login_succeeded', who, source, 'success', {
      session_id: id,
      factor,
    }),
  ]);
  return { token, session: sessionOf(id, p), expiresAt };
}

function sessionOf(
  id: string,
  p: Pick<store.PersonRow, 'id' | 'merchant_id' | 'email' | 'role' | 'store_ids'>,
): PersonSession {
  return {
    id,
    personId: p.id,
    merchantId: p.merchant_id,
    email: p.email,
    role: p.role,
    storeIds: p.role === 'store_manager' ? p.store_ids : null,
  };
}

/** The live session a token names, or person_session_missing / person_session_expired. */
export async function resolvePersonSession(
  deps: TeamDeps,
  token: string | undefined,
): Promise<PersonSession> {
  if (!token) throw merchantsError('person_session_missing');
  const row = await store.sessionByTokenHash(deps.sql, deps.kit.tokenHash(token));
  if (!row) throw merchantsError('person_session_missing');
  if (row.revoked_at || row.status !== 'active') throw merchantsError('person_session_expired');
  const now = deps.clock.nowMs();
  const idleMs = deps.kit.limits.sessionIdleSecondsMax * 1000;
  const idle = now - row.last_seen_at.getTime() > idleMs;
  if (idle || row.expires_at.getTime() <= now) {
    await store.revokeSession(deps.sql, row.id, at(deps), idle ? 'idle' : 'absolute');
    throw merchantsError('person_session_expired');
  }
  if (row.merchant_status !== 'active') throw merchantsError('merchant_suspended');
  await store.touchSession(deps.sql, row.id, at(deps));
  return sessionOf(row.id, { ...row, id: row.person_id });
}

export async function personLogout(
  deps: TeamDeps,
  s: PersonSession,
  source: Source,
): Promise<void> {
  await deps.sql.begin(async (tx) => {
    await store.revokeSession(tx, s.id, at(deps), 'signed_out');
    await deps.audit.append(tx, [
      personEntry('merchants.person.logout', s, source, 'success', { session_id: s.id }),
    ]);
  });
}

/** Removes a person from the merchant; every session they hold ends in the same step. */
export async function removePerson(
  deps: TeamDeps,
  by: PersonSession,
  personId: string,
  source: Source,
): Promise<{ sessionsEnded: number }> {
  return commitThenThrow(deps, async (tx) => {
    const p = /^[0-9a-f-]{36}$/.test(personId) ? await store.lockPerson(tx, personId) : undefined;
    if (!p || p.merchant_id !== by.merchantId || p.status !== 'active') {
      return merchantsError('person_not_found');
    }
    const subject = { type: 'merchant_person', id: p.id };
    if (!mayManage(by.role, p.role)) {
      await deps.audit.append(tx, [
        personEntry('merchants.person.removed', by, source, 'denied', { role: p.role }, subject),
      ]);
      return merchantsError('person_not_manageable');
    }
    await store.markRemoved(tx, p.id, at(deps), by.personId);
    const sessionsEnded = await store.revokePersonSessions(tx, p.id, at(deps), 'removed');
    await deps.audit.append(tx, [
      personEntry(
        'merchants.person.removed',
        by,
        source,
        'success',
        { role: p.role, sessions_ended: sessionsEnded },
        subject,
      ),
    ]);
    return { sessionsEnded };
  });
}

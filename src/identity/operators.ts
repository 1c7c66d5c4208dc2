import { randomBytes } from 'node:crypto';
import { uuidv7 } from '../lib/ids.ts';
import type { AuditEntryInput } from '../audit/index.ts';
import { at, commitThenThrow, refuse, type Deps, type Source } from './context.ts';
import { normalizeEmail } from './contacts.ts';
import {
  attemptFailed,
  attemptSucceeded,
  identifierHash,
  reserveAttempt,
  type Reservation,
} from './login-guard.ts';
import { sessionToken, sha256 } from './secrets.ts';
import { sealTotpSecret, totpSecretOf } from './sealed.ts';
import * as store from './store.ts';
import { base32, matchTotp, otpauthUri } from './totp.ts';
import { identityError } from './errors.ts';

// Operators: platform staff in a realm of their own (own tables, own sessions, own cookie).
// Every sign-in needs password and TOTP together — there is no path that skips the second
// factor (PCI DSS 4.0 8.4.2). Ten failures lock the account for thirty minutes (8.3.4);
// passwords are at least twelve characters (8.3.6); sessions end after fifteen idle
// minutes (8.2.8). Access is least privilege per action (OPERATOR_ACCESS).

export const OPERATOR_ROLES = ['support', 'risk_analyst', 'security_admin'] as const;
export type OperatorRole = (typeof OPERATOR_ROLES)[number];

/** Who may do what, as data: each operator action lists the roles allowed to do it. */
const OPERATOR_ACCESS = Object.freeze({
  'operator.self': ['support', 'risk_analyst', 'security_admin'],
  'customers.read': ['support', 'risk_analyst', 'security_admin'],
  'customers.freeze': ['risk_analyst', 'security_admin'],
  'customers.unfreeze': ['security_admin'],
  'sources.read': ['risk_analyst', 'security_admin'],
  'sources.unblock': ['security_admin'],
  'sources.acknowledge': ['risk_analyst', 'security_admin'],
  'operators.create': ['security_admin'],
  // Reading the audit trail is part of every operator's job; running a full verification is
  // an investigation step for risk and security.
  'audit.read': ['support', 'risk_analyst', 'security_admin'],
  'audit.verify': ['risk_analyst', 'security_admin'],
  // Every operator sees incidents; risk and security work them (status, owner, notes).
  'incidents.read': ['support', 'risk_analyst', 'security_admin'],
  'incidents.manage': ['risk_analyst', 'security_admin'],
  // The payment-page monitor: everyone sees its pages and alerts; approving what Kinko's own
  // payment pages serve is a security admin's decision.
  'pages.read': ['support', 'risk_analyst', 'security_admin'],
  'pages.approve': ['security_admin'],
  'incidents.scope': ['risk_analyst', 'security_admin'],
  // Exports carry customers' personal data out of Kinko: each one is audited.
  'incidents.export': ['risk_analyst', 'security_admin'],
  // Full card numbers for the card companies: security admins only, two of them (vault/).
  'incidents.card_export': ['security_admin'],
  'incidents.report': ['risk_analyst', 'security_admin'],
  // Every operator sees what is suspended (support answers the customers it refuses); only
  // a security admin suspends a service or takes part in lifting a suspension.
  'switches.read': ['support', 'risk_analyst', 'security_admin'],
  'switches.change': ['security_admin'],
  // The risk engine: analysts draft rule sets and run them in shadow; a promotion is approved
  // by a second operator (risk analyst or security admin, never the one who asked: risk/).
  'risk.read': ['risk_analyst', 'security_admin'],
  'risk.rules.draft': ['risk_analyst'],
  'risk.rules.approve': ['risk_analyst', 'security_admin'],
  // The review queue: support sees held top-ups (to answer the customer waiting on one);
  // deciding one moves or refuses money, which is risk's and security's call.
  'risk.reviews.read': ['support', 'risk_analyst', 'security_admin'],
  'risk.reviews.decide': ['risk_analyst', 'security_admin'],
} satisfies Record<string, readonly OperatorRole[]>);

export type OperatorAction = keyof typeof OPERATOR_ACCESS;

export function mayDo(role: OperatorRole, action: OperatorAction): boolean {
  return (OPERATOR_ACCESS[action] as readonly OperatorRole[]).includes(role);
}

export interface OperatorSession {
  id: string;
  operatorId: string;
  role: OperatorRole;
}

interface NewOperator {
  email: string;
  name: string;
  role: OperatorRole;
  password: string;
}

export interface CreatedOperator {
  operatorId: string;
  /** Shown once, to enrol the operator's authenticator app; never retrievable again. */
  totpSecret: string;
  otpauthUri: string;
}

export async function createOperator(
  deps: Deps,
  input: NewOperator,
  actor: { type: 'operator' | 'cli'; id?: string },
  source: Source,
): Promise<CreatedOperator> {
  const email = normalizeEmail(input.email);
  if (!email) throw identityError('email_invalid', { param: 'email' });
  await deps.passwords.check(input.password, deps.limits.operatorPasswordCharsMin);
  const passwordHash = await deps.passwords.hash(input.password);
  const secret = randomBytes(20);
  const operatorId = uuidv7(deps.clock.nowMs());
  await commitThenThrow(deps, async (tx) => {
    const inserted = await store.insertOperator(tx, {
      id: operatorId,
      email,
      name: input.name,
      role: input.role,
      password_hash: passwordHash,
      totp_secret_box: sealTotpSecret(
        deps.secretsKey,
        { kind: 'operator', id: operatorId },
        secret,
      ),
      created_at: at(deps),
      created_by: actor.type === 'operator' ? (actor.id ?? null) : null,
    });
    if (!inserted) return refuse('operator_exists');
    await deps.audit.append(tx, [
      {
        action: 'identity.operator.created',
        actor,
        subject: { type: 'operator', id: operatorId },
        source: { ip: source.ip, requestId: source.requestId },
        outcome: 'success',
        detail: { role: input.role },
      },
    ]);
    return undefined;
  });
  const params = {
    stepSeconds: deps.limits.totpStepSeconds,
    digits: deps.limits.totpDigits,
    driftStepsMax: 1,
  };
  return {
    operatorId,
    totpSecret: base32(secret),
    otpauthUri: otpauthUri('Kinko operators', email, secret, params),
  };
}

function operatorEntry(
  action: string,
  id: string | null,
  source: Source,
  outcome: 'success' | 'failure' | 'denied',
  detail?: Record<string, unknown>,
): AuditEntryInput {
  return {
    action,
    actor: id ? { type: 'operator', id } : { type: 'operator' },
    subject: id ? { type: 'operator', id } : undefined,
    source: { ip: source.ip, requestId: source.requestId },
    outcome,
    detail,
  };
}

export async function operatorLogin(
  deps: Deps,
  input: { email: string; password: string; totpCode: string },
  source: Source,
): Promise<{ token: string; operatorId: string; role: OperatorRole; expiresAt: Date }> {
  const email = normalizeEmail(input.email) ?? input.email.trim().toLowerCase();
  const idHash = identifierHash('operator', email);
  const reservation = await reserveAttempt(deps, 'operator', source, idHash);
  const found = await store.operatorByEmail(deps.sql, email);
  const passwordOk = await deps.passwords.verify(found?.password_hash, input.password);
  return commitThenThrow(deps, async (tx) => {
    const o = await store.lockOperatorByEmail(tx, email);
    const now = deps.clock.nowMs();
    if (o?.locked_until && o.locked_until.getTime() > now) {
      await deps.audit.append(tx, [
        operatorEntry('identity.operator.login_locked', o.id, source, 'denied'),
      ]);
      return refuse('operator_locked', {
        extra: { retry_after_seconds: Math.ceil((o.locked_until.getTime() - now) / 1000) },
      });
    }
    const params = {
      stepSeconds: deps.limits.totpStepSeconds,
      digits: deps.limits.totpDigits,
      driftStepsMax: deps.limits.totpDriftStepsMax,
    };
    const secret = o && totpSecretOf(deps, { kind: 'operator', id: o.id }, o.totp_secret_box);
    const step = secret
      ? matchTotp(secret, input.totpCode, now, o!.totp_last_step, params)
      : undefined;
    if (!o || o.status !== 'active' || !passwordOk || step === undefined) {
      return operatorFailure(deps, tx, o, reservation, source);
    }
    await attemptSucceeded(deps, tx, reservation, 'clear');
    await store.operatorAttempt(tx, o.id, { failures: 0, lockedUntil: null, totpStep: step });
    const token = sessionToken('operator');
    const sessionId = uuidv7(now);
    const expiresAt = at(deps, deps.limits.operatorSessionAbsoluteSecondsMax);
    await store.insertOperatorSession(tx, {
      id: sessionId,
      operator_id: o.id,
      token_hash: sha256(token),
      created_at: at(deps),
      last_seen_at: at(deps),
      expires_at: expiresAt,
      source_ip: source.ip,
    });
    await deps.audit.append(tx, [
      operatorEntry('identity.operator.login_succeeded', o.id, source, 'success', {
        session_id: sessionId,
      }),
    ]);
    return { token, operatorId: o.id, role: o.role, expiresAt };
  });
}

async function operatorFailure(
  deps: Deps,
  tx: Parameters<typeof store.operatorAttempt>[0],
  o: store.OperatorRow | undefined,
  reservation: Reservation,
  source: Source,
) {
  const extra = await attemptFailed(deps, tx, reservation, source, null);
  const entries = [
    operatorEntry('identity.operator.login_failed', o?.id ?? null, source, 'failure'),
    ...extra,
  ];
  if (o) {
    const failures = o.failures + 1;
    const lock = failures >= deps.limits.operatorFailuresLockAfter;
    await store.operatorAttempt(tx, o.id, {
      failures: lock ? 0 : failures,
      lockedUntil: lock ? at(deps, deps.limits.operatorLockSeconds) : null,
    });
    if (lock)
      entries.push(operatorEntry('identity.operator.locked', o.id, source, 'denied', { failures }));
  }
  await deps.audit.append(tx, entries);
  // Wrong password and wrong code get the same answer: which one failed is not told.
  return refuse('credentials_invalid');
}

export async function resolveOperatorSession(
  deps: Deps,
  token: string | undefined,
): Promise<OperatorSession> {
  if (!token) throw identityError('session_missing');
  const row = await store.operatorSessionByTokenHash(deps.sql, sha256(token));
  if (!row || row.revoked_at || row.status !== 'active')
    throw identityError(row ? 'session_expired' : 'session_missing');
  const now = deps.clock.nowMs();
  const idle = now - row.last_seen_at.getTime() > deps.limits.operatorSessionIdleSecondsMax * 1000;
  const over = row.expires_at.getTime() <= now;
  await store.touchOperatorSession(deps.sql, row.id, at(deps), idle || over);
  if (idle || over) throw identityError('session_expired');
  return { id: row.id, operatorId: row.operator_id, role: row.role };
}

export async function operatorLogout(deps: Deps, session: OperatorSession): Promise<void> {
  await store.touchOperatorSession(deps.sql, session.id, at(deps), true);
}

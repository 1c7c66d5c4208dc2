import { randomBytes } from 'node:crypto';
import type { Tx } from '../db/index.ts';
import {
  at,
  commitThenThrow,
  customerEntry,
  refuse,
  send,
  type Deps,
  type Source,
} from './context.ts';
import { authorize } from './guard.ts';
import * as messages from './messages.ts';
import type { StrongFactor } from './policy.ts';
import { normalizeRecoveryCode, recoveryCode, sha256 } from './secrets.ts';
import { sealTotpSecret, totpSecretOf } from './sealed.ts';
import { rotateSession, type CustomerSession, type IssuedSession } from './sessions.ts';
import * as store from './store.ts';
import { base32, matchTotp, otpauthUri } from './totp.ts';
import {
  registerPasskey,
  verifyPasskey,
  type AuthenticationResponseJSON,
  type RegistrationResponseJSON,
} from './webauthn.ts';
import { identityError } from './errors.ts';

// Second factors: TOTP, passkeys and recovery codes; and step-up, which proves one of them
// again to unlock sensitive actions for stepUpSecondsMax. Enrolling or replacing a factor
// is itself a sensitive action (factor_change) and every contact is told.

export interface FactorAnswer {
  totpCode?: string | undefined;
  passkey?: AuthenticationResponseJSON | undefined;
  /** Accepted only where a recovery code may stand in for a factor (recovery). */
  recoveryCode?: string | undefined;
}

export type FactorUsed = StrongFactor | 'recovery_code';

const totpParams = (deps: Deps) => ({
  stepSeconds: deps.limits.totpStepSeconds,
  digits: deps.limits.totpDigits,
  driftStepsMax: deps.limits.totpDriftStepsMax,
});

/** Verifies one second-factor answer inside tx; each TOTP step and passkey challenge once. */
export async function verifySecondFactor(
  deps: Deps,
  tx: Tx,
  customerId: string,
  answer: FactorAnswer,
  allowRecoveryCode: boolean,
): Promise<FactorUsed | undefined> {
  if (answer.passkey) {
    return (await verifyPasskey(deps, tx, customerId, answer.passkey)) ? 'passkey' : undefined;
  }
  if (answer.totpCode !== undefined) {
    const totp = await store.totpOf(tx, customerId, true);
    if (!totp?.confirmed_at) return undefined;
    const secret = totpSecretOf(deps, { kind: 'customer', id: customerId }, totp.secret_box);
    const step =
      secret &&
      matchTotp(secret, answer.totpCode, deps.clock.nowMs(), totp.last_step, totpParams(deps));
    if (step === undefined) return undefined;
    await store.totpUsed(tx, customerId, step, null);
    return 'totp';
  }
  if (answer.recoveryCode !== undefined && allowRecoveryCode) {
    const hash = sha256(normalizeRecoveryCode(answer.recoveryCode));
    return (await store.useRecoveryCode(tx, customerId, hash, at(deps)))
      ? 'recovery_code'
      : undefined;
  }
  return undefined;
}

/** Second-factor attempts per account, in fixed windows of sourceWindowSeconds. */
const factorAttemptsKey = (customerId: string) => `factor_fail:${customerId}`;

/**
 * Reserves one second-factor attempt against the account's budget (codeAttemptsMax per
 * window) before the answer is checked: counting and checking the budget are one atomic
 * statement, committed on its own, so answers sent in parallel cannot all pass a check made
 * before any of them was counted. Undefined when the budget is spent (the attempt is refused
 * unchecked); a right answer gives the budget back (factorAttemptSucceeded).
 */
export async function reserveFactorAttempt(
  deps: Deps,
  customerId: string,
): Promise<{ count: number } | undefined> {
  const { count } = await store.bumpCounter(
    deps.sql,
    factorAttemptsKey(customerId),
    at(deps),
    deps.limits.sourceWindowSeconds,
  );
  return count <= deps.limits.codeAttemptsMax ? { count } : undefined;
}

export async function factorAttemptSucceeded(tx: Tx, customerId: string): Promise<void> {
  await store.resetCounter(tx, factorAttemptsKey(customerId));
}

/** Whether an answer spends the account's second-factor budget (a TOTP code or passkey). */
export const spendsFactorBudget = (answer: FactorAnswer & { phoneCode?: string | undefined }) =>
  answer.phoneCode === undefined && (answer.totpCode !== undefined || !!answer.passkey);

export const factorThrottled = (deps: Deps) =>
  identityError('login_throttled', {
    extra: { retry_after_seconds: deps.limits.sourceWindowSeconds },
  });

export async function stepUp(
  deps: Deps,
  session: CustomerSession,
  answer: FactorAnswer,
  source: Source,
): Promise<IssuedSession & { factor: FactorUsed }> {
  if (session.frozen) throw identityError('account_frozen');
  const reserved = await reserveFactorAttempt(deps, session.customerId);
  if (!reserved) throw factorThrottled(deps);
  return commitThenThrow(deps, async (tx) => {
    const factor = await verifySecondFactor(deps, tx, session.customerId, answer, false);
    if (!factor) {
      const locked = reserved.count >= deps.limits.codeAttemptsMax;
      await deps.audit.append(tx, [
        customerEntry('identity.step_up.failed', session.customerId, source, 'failure', { locked }),
      ]);
      return refuse('factor_invalid');
    }
    await factorAttemptSucceeded(tx, session.customerId);
    const issued = await rotateSession(deps, tx, session, factor, source);
    await deps.audit.append(tx, [
      customerEntry('identity.step_up.succeeded', session.customerId, source, 'success', {
        factor,
        session_id: issued.sessionId,
      }),
    ]);
    return { ...issued, factor };
  });
}

export async function startTotp(
  deps: Deps,
  session: CustomerSession,
  email: string,
): Promise<{ secret: string; otpauthUri: string }> {
  await authorize(deps, session, 'factor_change');
  const existing = await store.totpOf(deps.sql, session.customerId);
  if (existing?.confirmed_at) throw identityError('totp_already_enrolled');
  const secret = randomBytes(20);
  const box = sealTotpSecret(deps.secretsKey, { kind: 'customer', id: session.customerId }, secret);
  await deps.sql.begin((tx) => store.upsertPendingTotp(tx, session.customerId, box, at(deps)));
  return {
    secret: base32(secret),
    otpauthUri: otpauthUri('Kinko', email, secret, totpParams(deps)),
  };
}

/** Confirms a pending TOTP with a first code; returns a first set of recovery codes. */
export async function confirmTotp(
  deps: Deps,
  session: CustomerSession,
  code: string,
  source: Source,
): Promise<{ recoveryCodes: string[] }> {
  await authorize(deps, session, 'factor_change');
  return commitThenThrow(deps, async (tx) => {
    const totp = await store.totpOf(tx, session.customerId, true);
    const owner = { kind: 'customer', id: session.customerId } as const;
    const secret = totp && !totp.confirmed_at && totpSecretOf(deps, owner, totp.secret_box);
    const step = secret
      ? matchTotp(secret, code, deps.clock.nowMs(), null, totpParams(deps))
      : undefined;
    if (step === undefined) return refuse('factor_invalid', { param: 'code' });
    await store.totpUsed(tx, session.customerId, step, at(deps));
    const codes = await issueRecoveryCodesIfNone(deps, tx, session.customerId);
    // Recovery codes already there: a factor existed, so this one is a change, not set-up.
    if (codes.length === 0) await store.markSecurityChange(tx, session.customerId, at(deps));
    await factorEnrolled(deps, tx, session.customerId, 'totp', source, session.id);
    return { recoveryCodes: codes };
  });
}

export async function addPasskey(
  deps: Deps,
  session: CustomerSession,
  response: RegistrationResponseJSON,
  source: Source,
): Promise<{ recoveryCodes: string[] }> {
  await authorize(deps, session, 'factor_change');
  return commitThenThrow(deps, async (tx) => {
    if (!(await registerPasskey(deps, tx, session.customerId, response))) {
      return refuse('passkey_invalid');
    }
    const codes = await issueRecoveryCodesIfNone(deps, tx, session.customerId);
    if (codes.length === 0) await store.markSecurityChange(tx, session.customerId, at(deps));
    await factorEnrolled(deps, tx, session.customerId, 'passkey', source, session.id);
    return { recoveryCodes: codes };
  });
}

export async function regenerateRecoveryCodes(
  deps: Deps,
  session: CustomerSession,
  source: Source,
): Promise<string[]> {
  await authorize(deps, session, 'factor_change');
  return deps.sql.begin(async (tx) => {
    const codes = await issueRecoveryCodes(deps, tx, session.customerId);
    await store.markSecurityChange(tx, session.customerId, at(deps));
    await factorEnrolled(deps, tx, session.customerId, 'recovery_codes', source);
    return codes;
  });
}

async function issueRecoveryCodes(deps: Deps, tx: Tx, customerId: string): Promise<string[]> {
  const codes = Array.from({ length: deps.limits.recoveryCodesPerSet }, () =>
    recoveryCode(deps.limits.recoveryCodeBits),
  );
  await store.replaceRecoveryCodes(
    tx,
    customerId,
    codes.map((c) => sha256(c)),
    at(deps),
  );
  return codes;
}

async function issueRecoveryCodesIfNone(deps: Deps, tx: Tx, customerId: string): Promise<string[]> {
  if ((await store.countRecoveryCodes(tx, customerId)) > 0) return [];
  return issueRecoveryCodes(deps, tx, customerId);
}

async function factorEnrolled(
  deps: Deps,
  tx: Tx,
  customerId: string,
  factor: messages.EnrolledFactor,
  source: Source,
  /** The session that proved the new factor (TOTP or passkey) while enrolling it. */
  provenOn?: string,
): Promise<void> {
  const c = await store.customerById(tx, customerId);
  if (c) {
    await sendNotice(deps, tx, c, messages.factorAdded(factor));
  }
  // Enrolling a TOTP or passkey proves it, as a step-up would: the enrolling session's strong
  // authentication is refreshed in place, keeping its token, so the first payment right after
  // enrolment does not ask for the same factor again. Enrolment itself needed a recent step-up
  // whenever a factor already existed (factor_change), so a password-only session cannot use
  // it to mint freshness.
  const strongAuth = provenOn
    ? await store.recordStrongAuth(tx, provenOn, factor, at(deps))
    : false;
  await deps.audit.append(tx, [
    customerEntry('identity.factor.enrolled', customerId, source, 'success', {
      factor,
      ...(strongAuth ? { strong_auth_session_id: provenOn } : {}),
    }),
  ]);
}

export async function sendNotice(
  deps: Deps,
  tx: Tx,
  c: { email: string; phone: string },
  notice: messages.Notice,
): Promise<void> {
  await send(deps, tx, messages.notice(c, notice));
}

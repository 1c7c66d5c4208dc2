import { isUuid, uuidv7 } from '../lib/ids.ts';
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
import { parseIdentifier } from './contacts.ts';
import {
  factorAttemptSucceeded,
  factorThrottled,
  reserveFactorAttempt,
  spendsFactorBudget,
  verifySecondFactor,
  type FactorAnswer,
  type FactorUsed,
} from './factors.ts';
import { strongFactors } from './guard.ts';
import { identifierHash } from './login-guard.ts';
import * as messages from './messages.ts';
import type { StrongFactor } from './policy.ts';
import { linkToken, numericCode, sameHash, sha256 } from './secrets.ts';
import { issueSession, type IssuedSession } from './sessions.ts';
import * as store from './store.ts';
import { sourcePrefix } from './throttle.ts';
import { identityError } from './errors.ts';

// Account recovery — the hole 7pay was emptied through (2019: a reset link could be sent to
// any address given the victim's email, birth date and phone). Here:
// - the caller names the account by identifier only; codes go only to the contacts already
//   verified on it (the request schema has no field for an address, and refuses one);
// - codes are single use, bound to the flow and account, ≤ 15 minutes, stored hashed, and
//   flows are rate-limited per account and per source;
// - an enrolled second factor is never bypassed: it, or a recovery code, is required; with
//   none enrolled, a code to the verified email and one to the verified phone are required;
// - after the reset every session is revoked, every contact gets a "this was not me" link
//   that freezes the account, and money movement is held unless a second factor was used.

const HOUR_SECONDS = 3600;

async function rateLimit(
  deps: Deps,
  tx: Tx,
  key: string,
  max: number,
): Promise<number | undefined> {
  const c = await store.bumpCounter(tx, key, at(deps), HOUR_SECONDS);
  if (c.count <= max) return undefined;
  return Math.max(
    1,
    Math.ceil((c.window_started_at.getTime() + HOUR_SECONDS * 1000 - deps.clock.nowMs()) / 1000),
  );
}

export async function startRecovery(
  deps: Deps,
  identifier: string,
  source: Source,
): Promise<{ recoveryId: string; expiresAt: Date }> {
  deps.switches.refuse({ operation: 'recovery', source: source.ip });
  const ident = parseIdentifier(identifier);
  const idKey = identifierHash(
    'customer',
    ident?.value ?? identifier.trim().toLowerCase(),
  ).toString('hex');
  const recoveryId = uuidv7(deps.clock.nowMs());
  const expiresAt = at(deps, deps.limits.recoverySecondsMax);
  const emailCode = numericCode(deps.limits.codeDigits);
  const phoneCode = numericCode(deps.limits.codeDigits);
  return commitThenThrow(deps, async (tx) => {
    const waitAccount = await rateLimit(
      deps,
      tx,
      `recovery:account:${idKey}`,
      deps.limits.recoveryStartsPerAccountPerHourMax,
    );
    const waitSource = await rateLimit(
      deps,
      tx,
      `recovery:source:${sourcePrefix(source.ip)}`,
      deps.limits.recoveryStartsPerSourcePerHourMax,
    );
    const wait = waitAccount ?? waitSource;
    if (wait !== undefined)
      return refuse('recovery_rate_limited', { extra: { retry_after_seconds: wait } });
    const c = ident ? await store.customerByContact(tx, ident.kind, ident.value) : undefined;
    const factors = c ? await strongFactors(tx, c.id) : [];
    const needsPhone = factors.length === 0;
    // An unknown identifier gets a flow too, so the answer is the same; it cannot complete.
    await store.insertRecovery(tx, {
      id: recoveryId,
      customer_id: c?.id ?? null,
      email_code_hash: sha256(emailCode),
      phone_code_hash: needsPhone ? sha256(phoneCode) : null,
      expires_at: expiresAt,
      created_at: at(deps),
      source_ip: source.ip,
    });
    if (c) {
      const minutes = Math.floor(deps.limits.recoverySecondsMax / 60);
      await send(deps, tx, [
        messages.recoveryCodeMessage('email', c.email, emailCode, minutes),
        ...(needsPhone ? [messages.recoveryCodeMessage('sms', c.phone, phoneCode, minutes)] : []),
      ]);
    }
    await deps.audit.append(tx, [
      customerEntry('identity.recovery.requested', c?.id ?? null, source, 'success', {
        recovery_id: recoveryId,
        known_account: !!c,
      }),
    ]);
    return { recoveryId, expiresAt };
  });
}

type Requirement = StrongFactor | 'recovery_code' | 'phone_code';

/** Proves the email code; answers what else completing the recovery will need. */
export async function verifyRecoveryEmail(
  deps: Deps,
  recoveryId: string,
  code: string,
  source: Source,
): Promise<{ requires: Requirement[] }> {
  return commitThenThrow(deps, async (tx) => {
    const r = await usableRecovery(deps, tx, recoveryId);
    if (!r || !r.customer_id || !sameHash(sha256(code), r.email_code_hash) || r.email_verified_at) {
      if (r) await store.recoveryUpdate(tx, r.id, { failed: true });
      await deps.audit.append(tx, [
        customerEntry('identity.recovery.email_failed', r?.customer_id ?? null, source, 'failure'),
      ]);
      return refuse('verification_code_invalid');
    }
    await store.recoveryUpdate(tx, r.id, { emailVerifiedAt: at(deps) });
    await deps.audit.append(tx, [
      customerEntry('identity.recovery.email_verified', r.customer_id, source, 'success', {
        recovery_id: r.id,
      }),
    ]);
    const factors = await strongFactors(tx, r.customer_id);
    return { requires: factors.length ? [...factors, 'recovery_code'] : ['phone_code'] };
  });
}

async function usableRecovery(
  deps: Deps,
  tx: Tx,
  id: string,
): Promise<store.RecoveryRow | undefined> {
  const r = isUuid(id) ? await store.lockRecovery(tx, id) : undefined;
  if (!r || r.completed_at || r.attempts >= deps.limits.codeAttemptsMax) return undefined;
  return r.expires_at.getTime() > deps.clock.nowMs() ? r : undefined;
}

/** The customer whose email-verified recovery this is, for passkey options; else undefined. */
export async function recoveryCustomer(
  deps: Deps,
  recoveryId: string,
): Promise<string | undefined> {
  return deps.sql.begin(async (tx) => {
    const r = await usableRecovery(deps, tx, recoveryId);
    return r?.email_verified_at && r.customer_id ? r.customer_id : undefined;
  });
}

export interface CompleteInput extends FactorAnswer {
  recoveryId: string;
  newPassword: string;
  phoneCode?: string | undefined;
}

export async function completeRecovery(
  deps: Deps,
  input: CompleteInput,
  source: Source,
): Promise<IssuedSession & { moneyHoldUntil: Date | null }> {
  deps.switches.refuse({ operation: 'recovery', source: source.ip });
  await deps.passwords.check(input.newPassword, deps.limits.passwordCharsMin);
  const passwordHash = await deps.passwords.hash(input.newPassword);
  // A TOTP code or passkey spends the account's second-factor budget, shared with step-up.
  const owner = await recoveryCustomer(deps, input.recoveryId);
  const spends = owner !== undefined && spendsFactorBudget(input);
  if (spends && !(await reserveFactorAttempt(deps, owner))) throw factorThrottled(deps);
  return commitThenThrow(deps, async (tx) => {
    const r = await usableRecovery(deps, tx, input.recoveryId);
    if (!r?.customer_id || !r.email_verified_at) return refuse('verification_code_invalid');
    const customerId = r.customer_id;
    const proof = await secondProof(deps, tx, r, customerId, input);
    if (!proof) {
      await store.recoveryUpdate(tx, r.id, { failed: true });
      await deps.audit.append(tx, [
        customerEntry('identity.recovery.factor_failed', customerId, source, 'failure', {
          recovery_id: r.id,
        }),
      ]);
      return refuse('factor_invalid');
    }
    if (spends) await factorAttemptSucceeded(tx, customerId);
    await store.recoveryUpdate(tx, r.id, { completedAt: at(deps) });
    return finishReset(deps, tx, { customerId, passwordHash, proof, source, recoveryId: r.id });
  });
}

async function secondProof(
  deps: Deps,
  tx: Tx,
  r: store.RecoveryRow,
  customerId: string,
  input: CompleteInput,
): Promise<FactorUsed | 'phone_code' | undefined> {
  const factors = await strongFactors(tx, customerId);
  if (factors.length > 0) return verifySecondFactor(deps, tx, customerId, input, true);
  if (input.phoneCode === undefined || !r.phone_code_hash) return undefined;
  return sameHash(sha256(input.phoneCode), r.phone_code_hash) ? 'phone_code' : undefined;
}

async function finishReset(
  deps: Deps,
  tx: Tx,
  f: {
    customerId: string;
    passwordHash: string;
    proof: string;
    source: Source;
    recoveryId: string;
  },
): Promise<IssuedSession & { moneyHoldUntil: Date | null }> {
  const c = await store.customerById(tx, f.customerId, true);
  if (!c) throw identityError('verification_code_invalid');
  await store.setPassword(tx, c.id, f.passwordHash, at(deps));
  await store.clearLoginFailures(tx, [
    identifierHash('customer', c.email),
    identifierHash('customer', c.phone),
  ]);
  const revoked = await store.revokeCustomerSessions(tx, c.id, at(deps), 'recovery');
  // Only a factor the account already had lifts the hold: codes to contacts and recovery
  // codes are what a thief who took over the mailbox or the phone would have.
  const strong = f.proof === 'totp' || f.proof === 'passkey';
  const holdSeconds = strong ? 0 : deps.limits.recoveryMoneyHoldSeconds;
  const holdUntil = holdSeconds > 0 ? at(deps, holdSeconds) : null;
  if (holdUntil) await store.setMoneyHold(tx, c.id, holdUntil);
  const [email, phone] = await freezeLinks(deps, tx, [c.id, c.id]);
  const links = { email: email!, phone: phone! };
  await send(deps, tx, messages.recoveryDoneNotice(c, links, Math.round(holdSeconds / 3600)));
  const session = await issueSession(deps, tx, {
    customerId: c.id,
    deviceId: null,
    strongAuthFactor: strong ? f.proof : null,
    source: f.source,
  });
  await deps.audit.append(tx, [
    customerEntry('identity.recovery.completed', c.id, f.source, 'success', {
      recovery_id: f.recoveryId,
      proof: f.proof,
      sessions_revoked: revoked,
      money_hold_until: holdUntil?.toISOString() ?? null,
    }),
  ]);
  return { ...session, moneyHoldUntil: holdUntil };
}

/** A "this was not me" link that freezes the account, minted in the caller's transaction. */
export async function freezeLink(deps: Deps, tx: Tx, customerId: string): Promise<string> {
  const [link] = await freezeLinks(deps, tx, [customerId]);
  return link!;
}

/**
 * One freeze link per requested customer id, in order (an id may repeat: each gets its own
 * token), minted in the caller's transaction with one insert.
 */
export async function freezeLinks(
  deps: Deps,
  tx: Tx,
  customerIds: readonly string[],
): Promise<string[]> {
  if (customerIds.length === 0) return [];
  const tokens = customerIds.map(() => linkToken());
  await store.insertFreezeTokens(
    tx,
    tokens.map((t, i) => ({ hash: sha256(t), customerId: customerIds[i]! })),
    at(deps, deps.limits.freezeLinkSecondsMax),
  );
  return tokens.map((t) => `${deps.origin}/account/freeze#token=${t}`);
}

/** "This was not me": freezes the account, signs every session out, tells every contact. */
export async function freezeByLink(deps: Deps, token: string, source: Source): Promise<void> {
  await commitThenThrow(deps, async (tx) => {
    const customerId = await store.consumeFreezeToken(tx, sha256(token), at(deps));
    if (!customerId) return refuse('verification_code_invalid');
    await freezeAccount(deps, tx, customerId, source, { type: 'customer', id: customerId });
    return undefined;
  });
}

export async function freezeAccount(
  deps: Deps,
  tx: Tx,
  customerId: string,
  source: Source,
  actor: { type: 'customer' | 'operator'; id: string },
  reason: string | null = null,
): Promise<void> {
  const c = await store.customerById(tx, customerId, true);
  if (!c) throw identityError('customer_not_found');
  // A freeze link followed on an account already frozen ends its sessions again but keeps
  // the freeze as it was: an operator's freeze keeps its operator, whom a second operator
  // must follow to lift it, and its reason.
  const already = c.status === 'frozen';
  const byOperator = actor.type === 'operator' ? actor.id : null;
  if (!already) await store.setFrozen(tx, c.id, { frozen: true, byOperator, reason }, at(deps));
  const revoked = await store.revokeCustomerSessions(tx, c.id, at(deps), 'frozen');
  if (!already) await send(deps, tx, messages.notice(c, messages.ACCOUNT_FROZEN));
  await deps.audit.append(tx, [
    {
      action: 'identity.account.frozen',
      actor,
      subject: { type: 'customer', id: c.id },
      source: { ip: source.ip, requestId: source.requestId },
      outcome: 'success',
      detail: {
        sessions_revoked: revoked,
        ...(reason === null ? {} : { reason }),
        ...(already ? { already_frozen: true } : {}),
      },
    },
  ]);
}

import { isUuid, uuidv7 } from '../lib/ids.ts';
import {
  at,
  commitThenThrow,
  customerEntry,
  refuse,
  send,
  type Deps,
  type Source,
} from './context.ts';
import { normalizeEmail, normalizePhone } from './contacts.ts';
import { sendNotice } from './factors.ts';
import { authorize, strongFactors } from './guard.ts';
import * as messages from './messages.ts';
import { numericCode, sameHash, sha256 } from './secrets.ts';
import type { CustomerSession } from './sessions.ts';
import * as store from './store.ts';
import { identityError } from './errors.ts';

// Changes to the account's credentials and contacts. Each needs recent strong
// authentication from a confirmed device (policy: password_change, email_change,
// phone_change); a new contact is proven by a code sent to it, and the old contacts are
// told, so a takeover cannot quietly redirect where recovery codes go.

export async function accountSummary(deps: Deps, session: CustomerSession) {
  const c = await store.customerById(deps.sql, session.customerId);
  if (!c) throw identityError('session_missing');
  return {
    customer_id: c.id,
    email: c.email,
    phone: c.phone,
    status: c.status,
    factors: await strongFactors(deps.sql, c.id),
    recovery_codes_left: await store.countRecoveryCodes(deps.sql, c.id),
    device_id: session.deviceId,
    strong_auth_at: session.strongAuthAtMs ? new Date(session.strongAuthAtMs).toISOString() : null,
    // How long a passkey or TOTP check counts as recent, so apps can say when they ask again.
    step_up_seconds_max: deps.limits.stepUpSecondsMax,
    money_hold_until: c.money_hold_until?.toISOString() ?? null,
  };
}

export async function changePassword(
  deps: Deps,
  session: CustomerSession,
  input: { currentPassword: string; newPassword: string },
  source: Source,
): Promise<void> {
  await authorize(deps, session, 'password_change');
  const c = await store.customerById(deps.sql, session.customerId);
  if (!c || !(await deps.passwords.verify(c.password_hash ?? undefined, input.currentPassword))) {
    throw identityError('credentials_invalid', { param: 'current_password' });
  }
  await deps.passwords.check(input.newPassword, deps.limits.passwordCharsMin);
  const hash = await deps.passwords.hash(input.newPassword);
  await deps.sql.begin(async (tx) => {
    await store.setPassword(tx, c.id, hash, at(deps));
    const revoked = await store.revokeCustomerSessions(
      tx,
      c.id,
      at(deps),
      'password_change',
      session.id,
    );
    await sendNotice(deps, tx, c, messages.PASSWORD_CHANGED);
    await deps.audit.append(tx, [
      customerEntry('identity.password.changed', c.id, source, 'success', {
        sessions_revoked: revoked,
      }),
    ]);
  });
}

export async function startContactChange(
  deps: Deps,
  session: CustomerSession,
  input: { channel: 'email' | 'phone'; value: string },
  source: Source,
): Promise<{ changeId: string; expiresAt: Date }> {
  await authorize(deps, session, input.channel === 'email' ? 'email_change' : 'phone_change');
  const value =
    input.channel === 'email' ? normalizeEmail(input.value) : normalizePhone(input.value);
  if (!value)
    throw identityError(input.channel === 'email' ? 'email_invalid' : 'phone_invalid', {
      param: 'value',
    });
  const code = numericCode(deps.limits.codeDigits);
  const changeId = uuidv7(deps.clock.nowMs());
  const expiresAt = at(deps, deps.limits.codeSecondsMax);
  await deps.sql.begin(async (tx) => {
    await store.insertContactChange(tx, {
      id: changeId,
      customer_id: session.customerId,
      channel: input.channel,
      new_value: value,
      code_hash: sha256(code),
      expires_at: expiresAt,
    });
    await send(deps, tx, [
      messages.contactCode(input.channel, value, code, Math.floor(deps.limits.codeSecondsMax / 60)),
    ]);
    await deps.audit.append(tx, [
      customerEntry('identity.contact.change_started', session.customerId, source, 'success', {
        channel: input.channel,
        change_id: changeId,
      }),
    ]);
  });
  return { changeId, expiresAt };
}

export async function confirmContactChange(
  deps: Deps,
  session: CustomerSession,
  input: { changeId: string; code: string },
  source: Source,
): Promise<void> {
  await commitThenThrow(deps, async (tx) => {
    const ch = isUuid(input.changeId)
      ? await store.lockContactChange(tx, input.changeId)
      : undefined;
    const usable =
      ch &&
      ch.customer_id === session.customerId &&
      !ch.completed_at &&
      ch.attempts < deps.limits.codeAttemptsMax &&
      ch.expires_at.getTime() > deps.clock.nowMs();
    if (!ch || !usable || !sameHash(sha256(input.code), ch.code_hash)) {
      if (ch && usable) await store.contactChangeAttempted(tx, ch.id, null);
      return refuse('verification_code_invalid');
    }
    const before = await store.customerById(tx, session.customerId, true);
    if (!before) return refuse('session_missing');
    await store.contactChangeAttempted(tx, ch.id, at(deps));
    if (!(await store.setContact(tx, before.id, ch.channel, ch.new_value, at(deps)))) {
      return refuse('contact_taken');
    }
    // The old contacts hear of it, as well as the new ones.
    const after = { ...before, [ch.channel]: ch.new_value };
    const changed = messages.contactChanged(ch.channel);
    await sendNotice(deps, tx, before, changed);
    await send(
      deps,
      tx,
      messages.notice(after, changed).filter((m) => m.to === ch.new_value),
    );
    await deps.audit.append(tx, [
      customerEntry('identity.contact.changed', before.id, source, 'success', {
        channel: ch.channel,
      }),
    ]);
    return undefined;
  });
}

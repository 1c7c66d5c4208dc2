import type { Tx } from '../db/index.ts';
import { isUuid, uuidv7 } from '../lib/ids.ts';
import {
  at,
  commitThenThrow,
  customerEntry,
  refuse,
  send,
  type Deps,
  type Refusal,
  type Source,
} from './context.ts';
import { jwkThumbprint, parseDeviceJwk } from './device-key.ts';
import {
  factorAttemptSucceeded,
  factorThrottled,
  reserveFactorAttempt,
  sendNotice,
  spendsFactorBudget,
  verifySecondFactor,
  type FactorAnswer,
} from './factors.ts';
import { authorize, verifyDeviceProof } from './guard.ts';
import * as messages from './messages.ts';
import { isSensitiveAction } from './policy.ts';
import { numericCode, randomChallenge, sameHash, sha256 } from './secrets.ts';
import type { CustomerSession } from './sessions.ts';
import * as store from './store.ts';
import { identityError } from './errors.ts';
import { httpError } from '../http/index.ts';

// Devices (7pay 2019: no device binding). A device is a key pair held by the wallet app. A
// new device starts pending and is confirmed only by an existing factor (TOTP, passkey) or
// a code sent to the account's verified phone; every contact is told a device was added.
// A session is bound to a device by a signed challenge, never by the client's say-so.

export async function registerDevice(
  deps: Deps,
  session: CustomerSession,
  input: { name: string; publicKey: Record<string, unknown> },
  source: Source,
): Promise<{ deviceId: string; expiresAt: Date }> {
  if (session.frozen) throw identityError('account_frozen');
  deps.switches.refuse({
    operation: 'new_devices',
    customerId: session.customerId,
    source: source.ip,
  });
  const { jwk } = parseDeviceJwk(input.publicKey);
  const code = numericCode(deps.limits.codeDigits);
  const deviceId = uuidv7(deps.clock.nowMs());
  const expiresAt = at(deps, deps.limits.codeSecondsMax);
  return commitThenThrow(deps, async (tx) => {
    const c = await store.customerById(tx, session.customerId, true);
    if (!c) return refuse('session_missing');
    const inserted = await store.insertDevice(tx, {
      id: deviceId,
      customer_id: c.id,
      name: input.name,
      public_key: jwk,
      key_thumbprint: jwkThumbprint(jwk),
      status: 'pending',
      confirm_code_hash: sha256(code),
      confirm_expires_at: expiresAt,
      confirmed_by: null,
      created_at: at(deps),
      confirmed_at: null,
    });
    if (!inserted) return refuse('device_exists');
    const minutes = Math.floor(deps.limits.codeSecondsMax / 60);
    await send(deps, tx, [messages.deviceCode(c.phone, input.name, code, minutes)]);
    await sendNotice(deps, tx, c, messages.deviceAdded(input.name));
    await deps.audit.append(tx, [
      customerEntry('identity.device.registered', c.id, source, 'success', { device_id: deviceId }),
    ]);
    return { deviceId, expiresAt };
  });
}

export async function confirmDevice(
  deps: Deps,
  session: CustomerSession,
  deviceId: string,
  answer: FactorAnswer & { phoneCode?: string | undefined },
  source: Source,
): Promise<void> {
  if (session.frozen) throw identityError('account_frozen');
  deps.switches.refuse({
    operation: 'new_devices',
    customerId: session.customerId,
    source: source.ip,
  });
  // A TOTP code or passkey spends the account's second-factor budget, shared with step-up,
  // so registering device after device buys no extra guesses.
  const spends = spendsFactorBudget(answer);
  if (spends && !(await reserveFactorAttempt(deps, session.customerId))) {
    throw factorThrottled(deps);
  }
  await commitThenThrow(deps, async (tx) => {
    const d = isUuid(deviceId) ? await store.deviceById(tx, deviceId, true) : undefined;
    if (!d || d.customer_id !== session.customerId || d.status === 'revoked') {
      return refuse('device_not_found');
    }
    if (d.status === 'confirmed') return undefined;
    const by = await confirmationFactor(deps, tx, d, answer, session.customerId);
    if (!by) {
      await store.deviceAttempted(tx, d.id);
      await deps.audit.append(tx, [
        customerEntry('identity.device.confirm_failed', session.customerId, source, 'failure', {
          device_id: d.id,
        }),
      ]);
      return refuse('verification_code_invalid');
    }
    if (spends) await factorAttemptSucceeded(tx, session.customerId);
    const risk = await decideConfirmation(deps, tx, d, by, source);
    if (risk) return risk;
    await store.confirmDevice(tx, d.id, by, at(deps));
    const c = await store.customerById(tx, session.customerId);
    if (c) {
      await sendNotice(deps, tx, c, messages.deviceConfirmed(d.name));
    }
    await deps.audit.append(tx, [
      customerEntry('identity.device.confirmed', session.customerId, source, 'success', {
        device_id: d.id,
        by,
      }),
    ]);
    return undefined;
  });
}

/**
 * The risk engine's decision on confirming a device (kind device_confirm: accounts seen on
 * the device key, the network, a recent recovery or security change), recorded in the
 * confirmation's transaction with the device as subject; a refusal to return, or undefined.
 * block refuses (device_confirm_blocked); step_up and review refuse a text-message code and
 * accept an authenticator code or a passkey (there is no review queue for devices).
 */
async function decideConfirmation(
  deps: Deps,
  tx: Tx,
  d: store.DeviceRow,
  by: string,
  source: Source,
): Promise<Refusal | undefined> {
  if (!deps.risk) return undefined;
  const risk = deps.risk();
  const c = await store.customerById(tx, d.customer_id);
  const a = await risk.assess(
    {
      kind: 'device_confirm',
      customerId: d.customer_id,
      deviceId: d.id,
      sourceIp: source.ip,
      amount: 0n,
      currency: 'JPY',
      account: { createdAt: c?.created_at, moneyHoldUntil: c?.money_hold_until ?? null },
      frozen: c?.status === 'frozen',
    },
    tx,
  );
  await risk.record(tx, [{ a, subjectId: d.id }]);
  const weak = by === 'phone_code';
  const code =
    a.decision === 'block'
      ? 'device_confirm_blocked'
      : weak && (a.decision === 'step_up' || a.decision === 'review')
        ? 'device_confirm_factor_required'
        : undefined;
  if (!code) return undefined;
  await deps.audit.append(tx, [
    customerEntry('identity.device.confirm_refused', d.customer_id, source, 'failure', {
      device_id: d.id,
      decision: a.decision,
      reason: a.reasons[0],
    }),
  ]);
  return refuse(code, { extra: { reason: a.words } });
}

async function confirmationFactor(
  deps: Deps,
  tx: Tx,
  d: store.DeviceRow,
  answer: FactorAnswer & { phoneCode?: string | undefined },
  customerId: string,
): Promise<string | undefined> {
  // Guesses at any factor count against the device, so none can be brute-forced here.
  if (d.confirm_attempts >= deps.limits.codeAttemptsMax) return undefined;
  if (answer.phoneCode !== undefined) {
    const usable =
      d.confirm_code_hash &&
      d.confirm_attempts < deps.limits.codeAttemptsMax &&
      (d.confirm_expires_at?.getTime() ?? 0) > deps.clock.nowMs();
    return usable && sameHash(sha256(answer.phoneCode), d.confirm_code_hash!)
      ? 'phone_code'
      : undefined;
  }
  return verifySecondFactor(deps, tx, customerId, answer, false);
}

/** A single-use challenge for one device, one action and this session. */
export async function deviceChallenge(
  deps: Deps,
  session: CustomerSession,
  deviceId: string,
  action: string,
): Promise<{ challenge: string; expiresAt: Date }> {
  if (action !== 'session_bind' && !isSensitiveAction(action)) {
    throw httpError('parameter_invalid', { param: 'action' });
  }
  if (!isUuid(deviceId)) throw identityError('device_not_found');
  const challenge = randomChallenge();
  const expiresAt = at(deps, deps.limits.deviceChallengeSecondsMax);
  // The device is checked (the customer's, confirmed) by the statement that issues it.
  const issued = await store.insertDeviceChallenge(deps.sql, session.customerId, {
    challenge_hash: sha256(challenge),
    session_id: session.id,
    device_id: deviceId,
    action,
    expires_at: expiresAt,
  });
  if (!issued) throw identityError('device_not_found');
  return { challenge, expiresAt };
}

/** Binds this session to the device whose key signed a session_bind challenge. */
export async function bindDevice(
  deps: Deps,
  session: CustomerSession,
  proof: string | undefined,
  source: Source,
): Promise<string> {
  return deps.sql.begin(async (tx) => {
    const deviceId = await verifyDeviceProof(deps, tx, session, 'session_bind', proof);
    await store.bindSessionDevice(tx, session.id, deviceId);
    await deps.audit.append(tx, [
      customerEntry('identity.session.device_bound', session.customerId, source, 'success', {
        device_id: deviceId,
      }),
    ]);
    return deviceId;
  });
}

export async function listDevices(deps: Deps, session: CustomerSession) {
  const rows = await store.listDevices(deps.sql, session.customerId);
  return rows.map((d) => ({
    id: d.id,
    name: d.name,
    status: d.status,
    created_at: d.created_at.toISOString(),
    current: d.id === session.deviceId,
  }));
}

/**
 * Removes a device: it can sign nothing more, and every session bound to it ends at once,
 * the caller's own included when it is that device. Every contact is told.
 */
export async function removeDevice(
  deps: Deps,
  session: CustomerSession,
  deviceId: string,
  source: Source,
): Promise<{ sessionsRevoked: number }> {
  await authorize(deps, session, 'device_remove');
  return commitThenThrow(deps, async (tx) => {
    const d = isUuid(deviceId) ? await store.deviceById(tx, deviceId, true) : undefined;
    if (!d || d.customer_id !== session.customerId || d.status === 'revoked') {
      return refuse('device_not_found');
    }
    const c = await store.customerById(tx, session.customerId, true);
    if (!c) return refuse('session_missing');
    const sessionsRevoked = await store.revokeDevice(tx, d.id, at(deps));
    await sendNotice(deps, tx, c, messages.deviceRemoved(d.name));
    await deps.audit.append(tx, [
      customerEntry('identity.device.removed', c.id, source, 'success', {
        device_id: d.id,
        sessions_revoked: sessionsRevoked,
      }),
    ]);
    return { sessionsRevoked };
  });
}

import type { Tx } from '../db/index.ts';
import { uuidv7 } from '../lib/ids.ts';
import { at, type Deps, type Source } from './context.ts';
import { sessionToken, sha256 } from './secrets.ts';
import * as store from './store.ts';
import { identityError } from './errors.ts';
import { sourcePrefix } from './throttle.ts';

// Customer sessions: an opaque random token in the client, its SHA-256 in the database.
// A session ends when idle for sessionIdleSecondsMax, at sessionAbsoluteSecondsMax after
// sign-in, or when revoked (sign out, sign out everywhere, recovery, freeze). A new token
// is issued on every sign-in and step-up, so a token seen before either is worthless after.
// Enrolling a TOTP or passkey refreshes strong authentication on the enrolling session
// without a new token: that session was already trusted with factor_change (a confirmed
// device, and a recent step-up once any factor exists), and the browser's cookie stays valid.

export interface CustomerSession {
  id: string;
  customerId: string;
  deviceId: string | null;
  strongAuthAtMs: number | null;
  strongAuthFactor: string | null;
  frozen: boolean;
  moneyHoldUntilMs: number | null;
}

export interface IssuedSession {
  token: string;
  sessionId: string;
  expiresAt: Date;
}

export async function issueSession(
  deps: Deps,
  tx: Tx,
  s: {
    customerId: string;
    deviceId: string | null;
    strongAuthFactor: string | null;
    source: Source;
    /** A rotation keeps the original absolute expiry: step-up never extends a session. */
    expiresAt?: Date;
  },
): Promise<IssuedSession> {
  const token = sessionToken('customer');
  const now = at(deps);
  const sessionId = uuidv7(deps.clock.nowMs());
  const expiresAt = s.expiresAt ?? at(deps, deps.limits.sessionAbsoluteSecondsMax);
  await store.insertSession(tx, {
    id: sessionId,
    customer_id: s.customerId,
    token_hash: sha256(token),
    device_id: s.deviceId,
    strong_auth_at: s.strongAuthFactor ? now : null,
    strong_auth_factor: s.strongAuthFactor,
    created_at: now,
    last_seen_at: now,
    expires_at: expiresAt,
    source_ip: s.source.ip,
    // The network, for the risk engine's count of accounts signed in from it (risk-facts.ts).
    source_prefix: s.source.ip ? sourcePrefix(s.source.ip) : null,
  });
  return { token, sessionId, expiresAt };
}

/** The live session a token names, or session_missing / session_expired. */
export async function resolveSession(
  deps: Deps,
  token: string | undefined,
): Promise<CustomerSession> {
  if (!token) throw identityError('session_missing');
  const now = deps.clock.nowMs();
  const idleMs = deps.limits.sessionIdleSecondsMax * 1000;
  // The statement that reads the session also touches it when the checks below pass.
  const row = await store.sessionByTokenHashTouched(
    deps.sql,
    sha256(token),
    new Date(now),
    new Date(now - idleMs),
  );
  if (!row) throw identityError('session_missing');
  if (row.revoked_at || row.status === 'deleted') throw identityError('session_expired');
  const idle = now - row.last_seen_at.getTime() > idleMs;
  if (idle || row.expires_at.getTime() <= now) {
    await store.revokeSession(deps.sql, row.id, at(deps), idle ? 'idle' : 'absolute');
    throw identityError('session_expired');
  }
  return {
    id: row.id,
    customerId: row.customer_id,
    deviceId: row.device_id,
    strongAuthAtMs: row.strong_auth_at?.getTime() ?? null,
    strongAuthFactor: row.strong_auth_factor,
    frozen: row.status === 'frozen',
    moneyHoldUntilMs: row.money_hold_until?.getTime() ?? null,
  };
}

/** Replaces a session by a new one (new token) carrying its device and a fresh strong auth. */
export async function rotateSession(
  deps: Deps,
  tx: Tx,
  session: CustomerSession,
  strongAuthFactor: string,
  source: Source,
): Promise<IssuedSession> {
  const row = await store.sessionExpiry(tx, session.id);
  await store.revokeSession(tx, session.id, at(deps), 'rotated');
  return issueSession(deps, tx, {
    customerId: session.customerId,
    deviceId: session.deviceId,
    strongAuthFactor,
    source,
    expiresAt: row,
  });
}

import type { Tx } from '../db/index.ts';
import type { AuditEntryInput } from '../audit/index.ts';
import { KinkoError } from '../lib/errors.ts';
import { uuidv7 } from '../lib/ids.ts';
import { at, type Deps, type Source } from './context.ts';
import { sha256 } from './secrets.ts';
import * as store from './store.ts';
import {
  accountDelaySeconds,
  afterSourceAttempt,
  sourceBucket,
  sourcePrefix,
  sourceVerdict,
  type LoginRealm,
  type SourceState,
} from './throttle.ts';
import { identityError } from './errors.ts';

// Throttles in front of every password check, kept in PostgreSQL so that all processes
// share them: per source network (credential stuffing across many accounts) and per
// identifier (guessing one account). The identifier counters exist for unknown identifiers
// too, so a throttled answer never tells an attacker that an account exists.
//
// Check and count are one step: an attempt is reserved (checked and counted under the
// rows' locks, in one transaction) before the password is checked, and taken back if the
// password was right. Checking first and counting after the slow argon2 let every attempt
// sent in parallel pass the check before any of them was counted.

export function identifierHash(realm: LoginRealm, identifier: string): Buffer {
  return sha256(`login:${realm}:${identifier}`);
}

/** One sign-in attempt, counted before its password is checked. */
export interface Reservation {
  bucket: string;
  idHash: Buffer;
  /** The identifier's consecutive failures, this attempt included. */
  consecutive: number;
}

function toState(row: store.SourceRow): SourceState | undefined {
  if (row.failures === 0 && !row.blocked_until && !row.next_allowed_at) return undefined;
  return {
    windowStartedAtMs: row.window_started_at.getTime(),
    failures: row.failures,
    nextAllowedAtMs: row.next_allowed_at?.getTime() ?? null,
    blockedUntilMs: row.blocked_until?.getTime() ?? null,
  };
}

const date = (ms: number | null) => (ms === null ? null : new Date(ms));

/**
 * Checks the source's and the identifier's throttles and counts the attempt against both,
 * atomically; throws the refusal when a throttle applies. A refused attempt still counts
 * against the source (committed before the refusal is thrown), so a bot hammering a slowed
 * network reaches the block and is detected.
 */
export async function reserveAttempt(
  deps: Deps,
  realm: LoginRealm,
  source: Source,
  idHash: Buffer,
): Promise<Reservation> {
  const bucket = sourceBucket(realm, source.ip);
  const result = await deps.sql.begin(async (tx) => {
    const now = at(deps);
    const row = await store.lockSourceState(tx, bucket, now);
    const verdict = sourceVerdict(toState(row), now.getTime());
    const admitted = verdict.kind === 'allowed';
    const refusal = admitted
      ? await reserveIdentifier(deps, tx, idHash, now)
      : identityError(verdict.kind === 'blocked' ? 'source_blocked' : 'login_throttled', {
          extra: { retry_after_seconds: verdict.retryAfterSeconds },
        });
    const next = afterSourceAttempt(toState(row), now.getTime(), deps.limits, admitted);
    await store.saveSourceState(tx, {
      source_prefix: bucket,
      window_started_at: new Date(next.state.windowStartedAtMs),
      failures: next.state.failures,
      next_allowed_at: date(next.state.nextAllowedAtMs),
      blocked_until: date(next.state.blockedUntilMs),
      detected_at: next.blockedNow ? now : row.detected_at,
    });
    if (next.blockedNow) await detected(deps, tx, realm, source, next.state.failures);
    return refusal;
  });
  if (result instanceof KinkoError) throw result;
  return { bucket, idHash, consecutive: result };
}

/** The identifier's part of a reservation: its count with this attempt, or the refusal. */
async function reserveIdentifier(
  deps: Deps,
  tx: Tx,
  idHash: Buffer,
  now: Date,
): Promise<number | KinkoError> {
  const account = await store.lockLoginFailures(tx, idHash, now);
  if (account.disabled_at) return identityError('password_login_disabled');
  if (account.delay_until && account.delay_until.getTime() > now.getTime()) {
    const wait = Math.ceil((account.delay_until.getTime() - now.getTime()) / 1000);
    return identityError('login_throttled', { extra: { retry_after_seconds: Math.max(1, wait) } });
  }
  const consecutive = account.consecutive + 1;
  const delay = accountDelaySeconds(consecutive, deps.limits);
  await store.saveLoginFailures(tx, idHash, {
    consecutive,
    delayUntil: delay > 0 ? at(deps, delay) : null,
    now,
  });
  return consecutive;
}

/** A source network was just blocked: a detection that stays until acknowledged, audited. */
async function detected(
  deps: Deps,
  tx: Tx,
  realm: LoginRealm,
  source: Source,
  attempts: number,
): Promise<void> {
  const prefix = sourcePrefix(source.ip);
  const id = uuidv7(deps.clock.nowMs());
  deps.log.warn({ source_prefix: prefix, realm, attempts }, 'credential stuffing');
  await store.insertDetection(tx, {
    id,
    realm,
    source_prefix: prefix,
    detected_at: at(deps),
    attempts_in_window: attempts,
  });
  await deps.audit.append(tx, [
    {
      action: 'identity.stuffing.detected',
      actor: { type: 'system' },
      subject: { type: 'source_network', id: prefix },
      source: { ip: source.ip, requestId: source.requestId },
      outcome: 'denied',
      detail: {
        detection_id: id,
        realm,
        failures_in_window: attempts,
        window_seconds: deps.limits.sourceWindowSeconds,
        blocked_seconds: deps.limits.sourceBlockSeconds,
      },
    },
  ]);
  // One incident per realm while it is live: a wave comes from many networks (7pay 2019), and
  // each network blocked is one more signal on the same incident, not an incident of its own.
  await deps.incidents.raise(tx, {
    detector: 'identity.stuffing',
    key: realm,
    kind: 'identity.credential_stuffing',
    title: `Credential stuffing against ${realm} sign-in`,
    severity: realm === 'operator' ? 'critical' : 'high',
    summary: `Source network ${prefix} blocked after ${attempts} failed sign-ins in the window.`,
    detail: { detection_id: id, realm, source_prefix: prefix, failures_in_window: attempts },
  });
}

/**
 * The reserved attempt failed (its count stays); returns the audit entries it calls for
 * (the password factor turned off) for the caller to append.
 */
export async function attemptFailed(
  deps: Deps,
  tx: Tx,
  r: Reservation,
  source: Source,
  subjectId: string | null,
): Promise<AuditEntryInput[]> {
  if (r.consecutive < deps.limits.loginFailuresDisableAfter) return [];
  const disabledNow = await store.disablePasswordLogin(tx, r.idHash, at(deps));
  if (!disabledNow || !subjectId) return [];
  return [
    {
      action: 'identity.password.disabled',
      actor: { type: 'system' },
      subject: { type: 'customer', id: subjectId },
      source: { ip: source.ip, requestId: source.requestId },
      outcome: 'denied',
      detail: { consecutive: r.consecutive },
    },
  ];
}

/**
 * The password was right: the attempt is taken back from the source, and the identifier's
 * failures are cleared (signed in) or only this attempt taken back (refused for another
 * reason, such as a frozen account).
 */
export async function attemptSucceeded(
  deps: Deps,
  tx: Tx,
  r: Reservation,
  identifier: 'clear' | 'release',
): Promise<void> {
  await store.releaseSourceAttempt(tx, r.bucket, at(deps));
  if (identifier === 'clear') await store.clearLoginFailures(tx, [r.idHash]);
  else await store.releaseLoginFailure(tx, r.idHash);
}

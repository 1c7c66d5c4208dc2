import type { Tx } from '../db/index.ts';
import type { AuditEntryInput } from '../audit/index.ts';
import { KinkoError } from '../lib/errors.ts';
import { at, type Deps, type Source } from './context.ts';
import { sha256 } from './secrets.ts';
import * as store from './store.ts';
import {
  accountDelaySeconds,
  afterSourceFailure,
  sourcePrefix,
  sourceVerdict,
  type SourceState,
} from './throttle.ts';

// Throttles in front of every password check, kept in PostgreSQL so that all processes
// share them: per source network (credential stuffing across many accounts) and per
// identifier (guessing one account). The identifier counters exist for unknown identifiers
// too, so a throttled answer never tells an attacker that an account exists.

export function identifierHash(realm: 'customer' | 'operator', identifier: string): Buffer {
  return sha256(`login:${realm}:${identifier}`);
}

function toState(row: store.SourceRow | undefined): SourceState | undefined {
  if (!row) return undefined;
  return {
    windowStartedAtMs: row.window_started_at.getTime(),
    failures: row.failures,
    nextAllowedAtMs: row.next_allowed_at?.getTime() ?? null,
    blockedUntilMs: row.blocked_until?.getTime() ?? null,
  };
}

/** Refuses the attempt before any password is checked when a throttle applies. */
export async function checkThrottles(deps: Deps, source: Source, idHash: Buffer): Promise<void> {
  const now = deps.clock.nowMs();
  const verdict = sourceVerdict(
    toState(await store.sourceState(deps.sql, sourcePrefix(source.ip))),
    now,
  );
  if (verdict.kind !== 'allowed') {
    const code = verdict.kind === 'blocked' ? 'source_blocked' : 'login_throttled';
    throw new KinkoError(code, { extra: { retry_after_seconds: verdict.retryAfterSeconds } });
  }
  const account = await store.loginFailures(deps.sql, idHash);
  if (account?.disabled_at) throw new KinkoError('password_login_disabled');
  if (account?.delay_until && account.delay_until.getTime() > now) {
    const wait = Math.ceil((account.delay_until.getTime() - now) / 1000);
    throw new KinkoError('login_throttled', { extra: { retry_after_seconds: Math.max(1, wait) } });
  }
}

/**
 * Counts a failed password check against the identifier and the source; returns the audit
 * entries it calls for (stuffing detected, password disabled) for the caller to append.
 */
export async function recordFailure(
  deps: Deps,
  tx: Tx,
  source: Source,
  idHash: Buffer,
  subjectId: string | null,
): Promise<AuditEntryInput[]> {
  const entries: AuditEntryInput[] = [];
  const now = at(deps);
  const consecutive = await store.addLoginFailure(tx, idHash, now);
  const delay = accountDelaySeconds(consecutive, deps.limits);
  const disable = consecutive >= deps.limits.loginFailuresDisableAfter;
  await store.setLoginFailureState(tx, idHash, {
    delayUntil: delay > 0 ? at(deps, delay) : null,
    disabledAt: disable ? now : null,
  });
  if (disable && consecutive === deps.limits.loginFailuresDisableAfter && subjectId) {
    entries.push(systemEntry('identity.password.disabled', source, subjectId, { consecutive }));
  }
  const prefix = sourcePrefix(source.ip);
  const row = await store.lockSourceState(tx, prefix, now);
  const next = afterSourceFailure(toState(row), now.getTime(), deps.limits);
  const date = (ms: number | null) => (ms === null ? null : new Date(ms));
  await store.saveSourceState(tx, {
    source_prefix: prefix,
    window_started_at: new Date(next.state.windowStartedAtMs),
    failures: next.state.failures,
    next_allowed_at: date(next.state.nextAllowedAtMs),
    blocked_until: date(next.state.blockedUntilMs),
    detected_at: next.blockedNow ? now : row.detected_at,
  });
  if (next.blockedNow) {
    deps.log.warn({ source_prefix: prefix, failures: next.state.failures }, 'credential stuffing');
    entries.push({
      action: 'identity.stuffing.detected',
      actor: { type: 'system' },
      subject: { type: 'source_network', id: prefix },
      source: { ip: source.ip, requestId: source.requestId },
      outcome: 'denied',
      detail: {
        failures_in_window: next.state.failures,
        window_seconds: deps.limits.sourceWindowSeconds,
        blocked_seconds: deps.limits.sourceBlockSeconds,
      },
    });
  }
  return entries;
}

function systemEntry(
  action: string,
  source: Source,
  customerId: string,
  detail: Record<string, unknown>,
): AuditEntryInput {
  return {
    action,
    actor: { type: 'system' },
    subject: { type: 'customer', id: customerId },
    source: { ip: source.ip, requestId: source.requestId },
    outcome: 'denied',
    detail,
  };
}

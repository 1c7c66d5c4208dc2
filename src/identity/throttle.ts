import net from 'node:net';
import type { IdentityLimits } from '../config.ts';

// The arithmetic of login throttling, free of storage: which network a request counts
// against, how long an account must wait after failures, and what a source's counters mean.
// Credential stuffing (7pay 2019) spreads guesses over many accounts, so per-account delays
// alone never trigger; the per-source counters are what catch it.

/**
 * Sign-in realms: operators and merchant people count in buckets of their own, never shared
 * with customers or with each other.
 */
export type LoginRealm = 'customer' | 'operator' | 'merchant';

/** The throttle bucket of a source: its network, prefixed for operator sign-in. */
export function sourceBucket(realm: LoginRealm, ip: string): string {
  const prefix = sourcePrefix(ip);
  return realm === 'customer' ? prefix : `${realm}:${prefix}`;
}

/** The realm and network of a bucket named by sourceBucket. */
export function bucketParts(bucket: string): { realm: LoginRealm; sourcePrefix: string } {
  for (const realm of ['operator', 'merchant'] as const) {
    if (bucket.startsWith(`${realm}:`)) {
      return { realm, sourcePrefix: bucket.slice(realm.length + 1) };
    }
  }
  return { realm: 'customer', sourcePrefix: bucket };
}

/** The network a source address counts against: an IPv4 /24 or an IPv6 /64. */
export function sourcePrefix(ip: string): string {
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(ip);
  const address = mapped?.[1] ?? ip;
  if (net.isIPv4(address)) {
    const [a, b, c] = address.split('.');
    return `${a}.${b}.${c}.0/24`;
  }
  if (net.isIPv6(address)) {
    const groups = expandIPv6(address);
    return `${groups.slice(0, 4).join(':')}::/64`;
  }
  return `other:${address}`;
}

function expandIPv6(address: string): string[] {
  const [head = '', tail = ''] = address.split('::');
  const left = head ? head.split(':') : [];
  const right = address.includes('::') && tail ? tail.split(':') : [];
  const missing = 8 - left.length - right.length;
  const all = address.includes('::') ? [...left, ...Array(missing).fill('0'), ...right] : left;
  return all.map((g) => (g.includes('.') ? g : g.toLowerCase().replace(/^0+(?=.)/, '')));
}

/**
 * The wait after `consecutive` failed password checks on one account: none for the first
 * loginFailuresFreeMax, then base × 2^(n − free − 1) seconds, capped.
 */
export function accountDelaySeconds(consecutive: number, limits: IdentityLimits): number {
  const over = consecutive - limits.loginFailuresFreeMax;
  if (over <= 0) return 0;
  const exponent = Math.min(over - 1, 30);
  return Math.min(limits.loginDelaySecondsBase * 2 ** exponent, limits.loginDelaySecondsMax);
}

export interface SourceState {
  windowStartedAtMs: number;
  failures: number;
  nextAllowedAtMs: number | null;
  blockedUntilMs: number | null;
}

type SourceVerdict =
  | { kind: 'allowed' }
  | { kind: 'slowed'; retryAfterSeconds: number }
  | { kind: 'blocked'; retryAfterSeconds: number };

/** May a login attempt from this source be checked now? */
export function sourceVerdict(state: SourceState | undefined, nowMs: number): SourceVerdict {
  if (!state) return { kind: 'allowed' };
  const wait = (untilMs: number) => Math.max(1, Math.ceil((untilMs - nowMs) / 1000));
  if (state.blockedUntilMs !== null && state.blockedUntilMs > nowMs) {
    return { kind: 'blocked', retryAfterSeconds: wait(state.blockedUntilMs) };
  }
  if (state.nextAllowedAtMs !== null && state.nextAllowedAtMs > nowMs) {
    return { kind: 'slowed', retryAfterSeconds: wait(state.nextAllowedAtMs) };
  }
  return { kind: 'allowed' };
}

/**
 * The source's state after one more attempt that was not (yet) a success, and whether it
 * began a block. Every such attempt counts, the ones refused with 429 too: a bot that keeps
 * hammering while slowed must still reach the block and be detected. Only an attempt the
 * source let through (`admitted`) takes the slowed source's next slot; refused ones leave
 * the slot where it was, so a bot cannot push a slowed network's next attempt away for ever.
 * An attempt counted here and then found right is taken back (login-guard.ts, release).
 */
export function afterSourceAttempt(
  state: SourceState | undefined,
  nowMs: number,
  limits: IdentityLimits,
  admitted: boolean,
): { state: SourceState; blockedNow: boolean } {
  const windowMs = limits.sourceWindowSeconds * 1000;
  const fresh = !state || nowMs - state.windowStartedAtMs >= windowMs;
  const failures = (fresh ? 0 : state.failures) + 1;
  const windowStartedAtMs = fresh ? nowMs : state.windowStartedAtMs;
  const wasBlocked = !!state?.blockedUntilMs && state.blockedUntilMs > nowMs;
  const blockedNow = !wasBlocked && failures >= limits.sourceFailuresBlockAfter;
  const blockedUntilMs = blockedNow
    ? nowMs + limits.sourceBlockSeconds * 1000
    : (state?.blockedUntilMs ?? null);
  const slow = failures >= limits.sourceFailuresSlowAfter;
  const kept = fresh ? null : (state?.nextAllowedAtMs ?? null);
  const nextAllowedAtMs = admitted
    ? slow
      ? nowMs + limits.sourceSlowDelaySeconds * 1000
      : null
    : kept;
  return { state: { windowStartedAtMs, failures, nextAllowedAtMs, blockedUntilMs }, blockedNow };
}

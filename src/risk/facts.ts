import { isIP } from 'node:net';
import type { RiskLimits } from '../config.ts';
import type { Db } from '../db/index.ts';
import type { RuleKind } from './engine.ts';
import { tierOf } from './rules.ts';
import {
  HIGH_RESALE_CATEGORIES,
  NEVER_MINUTES,
  VELOCITY_DIMENSIONS,
  VELOCITY_WINDOWS,
  type Signals,
} from './signals.ts';

// The signals that are not velocity: from the caller's input and from facts other modules
// own (identity: devices and security changes; vault: cards), handed in through a
// FactSource that main.ts wires, so risk reads no other module's tables.

/** One attempt to move money (or to get the means to: a code, a card, a device). */
export interface AssessInput {
  kind: RuleKind;
  customerId: string;
  deviceId?: string | undefined;
  terminalId?: string | undefined;
  storeId?: string | undefined;
  merchantId?: string | undefined;
  merchantCategory?: string | undefined;
  cardFingerprint?: string | undefined;
  cardFunding?: string | undefined;
  /** The client's address (http/source.ts). */
  sourceIp?: string | undefined;
  amount: bigint;
  currency: string;
  /** Facts the caller already has, from identity: account age and the last hold's end. */
  account?: { createdAt?: Date | undefined; moneyHoldUntil?: Date | null | undefined };
  frozen?: boolean | undefined;
}

/** What other modules know about one attempt's customer, device, card and source. */
export interface RiskFacts {
  /** The last recovery, contact, password or factor change. */
  securityChangeAt?: Date | null;
  /** The attempt's device: when it was bound, and how many accounts it was bound to. */
  device?: { boundAt: Date; accounts: number } | null;
  /** Other customers with a card of this attempt's fingerprint. */
  cardOtherCustomers?: number;
  /** The customer's largest payment or top-up in 30 days. */
  amountMax30dMinor?: bigint;
  /** Distinct customers that acted from this source network in a day. */
  sourceAccounts1d?: number;
  /** Sign-in failures from this source network in the current hour. */
  sourceFailures1h?: number;
}

/** Facts for a batch of attempts, by customer id. */
export type FactSource = (
  db: Db,
  inputs: readonly AssessInput[],
) => Promise<Map<string, RiskFacts>>;

const minutesSince = (d: Date | null | undefined, nowMs: number) =>
  d ? Math.max(0, Math.floor((nowMs - d.getTime()) / 60_000)) : NEVER_MINUTES;

/** Every signal but velocity, with its default when the fact is unknown. */
export function baseSignals(
  input: AssessInput,
  facts: RiskFacts | undefined,
  limits: Pick<RiskLimits, 'accountNewSecondsMax' | 'cooldownSecondsAfterHold'>,
  nowMs: number,
): Signals {
  const amount = Number(input.amount);
  const created = input.account?.createdAt;
  const deviceAge = facts?.device ? minutesSince(facts.device.boundAt, nowMs) : NEVER_MINUTES;
  const max30d = Number(facts?.amountMax30dMinor ?? 0n);
  const category = input.merchantCategory ?? 'unknown';
  const prefix = input.sourceIp ? sourcePrefix(input.sourceIp) : undefined;
  const s: Signals = {
    kind: input.kind,
    amount,
    account_age_days: created ? Math.floor((nowMs - created.getTime()) / 86_400_000) : 0,
    account_tier: tierOf(limits, nowMs, input.account ?? {}),
    security_change_minutes: minutesSince(facts?.securityChangeAt, nowMs),
    device_known: deviceAge >= 1440,
    device_age_minutes: deviceAge,
    device_accounts: facts?.device?.accounts ?? 1,
    source_prefix: prefix ?? 'internal',
    source_home: prefix ? isHome(input.sourceIp!) : true,
    source_accounts_1d: facts?.sourceAccounts1d ?? 0,
    source_failures_1h: facts?.sourceFailures1h ?? 0,
    card_other_customers: facts?.cardOtherCustomers ?? 0,
    card_funding: input.cardFunding ?? 'unknown',
    amount_max_30d: max30d,
    amount_ratio_30d: max30d > 0 ? amount / max30d : amount,
    merchant_category: category,
    high_resale: HIGH_RESALE_CATEGORIES.has(category),
  };
  for (const d of VELOCITY_DIMENSIONS) {
    for (const w of Object.keys(VELOCITY_WINDOWS)) {
      s[`${d}_count_${w}`] = 0;
      s[`${d}_yen_${w}`] = 0;
    }
  }
  return s;
}

/**
 * The source network of a public address: IPv4 /24, IPv6 /64. Internal addresses (loopback,
 * private, link-local) name no network worth counting and give undefined.
 */
export function sourcePrefix(ip: string): string | undefined {
  const v4 = ip.startsWith('::ffff:') && isIP(ip.slice(7)) === 4 ? ip.slice(7) : ip;
  if (isIP(v4) === 4) {
    const [a, b] = v4.split('.').map(Number) as [number, number];
    const internal =
      a === 10 ||
      a === 127 ||
      (a === 172 && b >= 16 && b < 32) ||
      (a === 192 && b === 168) ||
      (a === 169 && b === 254) ||
      a === 0;
    return internal ? undefined : `${v4.split('.').slice(0, 3).join('.')}.0/24`;
  }
  if (isIP(ip) !== 6) return undefined;
  const lower = ip.toLowerCase();
  if (lower === '::1' || /^f[cd]/.test(lower) || lower.startsWith('fe80')) return undefined;
  return `${expand6(lower).slice(0, 4).join(':')}::/64`;
}

function expand6(ip: string): string[] {
  const [head, tail] = ip.split('::') as [string, string | undefined];
  const h = head ? head.split(':') : [];
  const t = tail ? tail.split(':') : [];
  const fill = tail === undefined ? [] : Array<string>(8 - h.length - t.length).fill('0');
  return [...h, ...fill, ...t].map((x) => x.padStart(4, '0'));
}

/**
 * Whether an address is in the home country. Kinko ships no country table yet: every address
 * counts as home (the documented fallback), so the rules on foreign sources never fire until
 * a table is loaded (see docs/risk.md).
 */
function isHome(_ip: string): boolean {
  return true;
}

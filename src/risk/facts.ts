import { isIP } from 'node:net';
import type { RiskLimits } from '../config.ts';
import type { Db } from '../db/index.ts';
import type { RuleKind } from './engine.ts';
import type { CardRange } from './card-ranges.ts';
import { expand6 } from './home-networks.ts';
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

/** The customerId of an attempt that has no Kinko customer: a web payment's shopper. */
export const NO_CUSTOMER = '';

/** One attempt to move money (or to get the means to: a code, a card, a device). */
export interface AssessInput {
  kind: RuleKind;
  /** Empty for a web payment: a web shop's shopper is no Kinko customer (see NO_CUSTOMER). */
  customerId: string;
  deviceId?: string | undefined;
  terminalId?: string | undefined;
  storeId?: string | undefined;
  merchantId?: string | undefined;
  merchantCategory?: string | undefined;
  /** The vault's card: its token (facts are looked up by it) and its keyed fingerprint id. */
  cardToken?: string | undefined;
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
  /** The customer's largest payment (for a payment) or top-up (for a top-up) in 30 days. */
  amountMax30dMinor?: bigint;
  /** The median of those amounts (the most recent ones, at most 50). */
  amountMedian30dMinor?: bigint;
  /** The card's funding (credit, debit, prepaid) and issuing country, when known. */
  cardFunding?: string;
  cardCountry?: string;
  /** The card's first six digits (the vault's BIN), looked up in the BIN table. */
  cardBin?: string;
  /** Distinct customers that acted from this source network in a day. */
  sourceAccounts1d?: number;
  /** Sign-in failures from this source network in the current hour. */
  sourceFailures1h?: number;
}

/**
 * Facts for a batch of attempts: in input order, or (as the fraud bench hands them) by
 * customer id.
 */
export type FactSource = (
  db: Db,
  inputs: readonly AssessInput[],
) => Promise<RiskFacts[] | Map<string, RiskFacts>>;

/** The facts of the i-th input. */
export function factsAt(
  facts: RiskFacts[] | Map<string, RiskFacts>,
  input: AssessInput,
  i: number,
): RiskFacts | undefined {
  return Array.isArray(facts) ? facts[i] : facts.get(input.customerId);
}

/** Every velocity signal's name, built once: each attempt starts them all at zero. */
const VELOCITY_SIGNAL_NAMES = VELOCITY_DIMENSIONS.flatMap((d) =>
  Object.keys(VELOCITY_WINDOWS).flatMap((w) => [`${d}_count_${w}`, `${d}_yen_${w}`]),
);

const minutesSince = (d: Date | null | undefined, nowMs: number) =>
  d ? Math.max(0, Math.floor((nowMs - d.getTime()) / 60_000)) : NEVER_MINUTES;

/** Every signal but velocity, with its default when the fact is unknown. */
export function baseSignals(
  input: AssessInput,
  facts: RiskFacts | undefined,
  limits: Pick<RiskLimits, 'accountNewSecondsMax' | 'cooldownSecondsAfterHold'>,
  nowMs: number,
  isHome: (ip: string) => boolean = () => true,
  cardRange: (bin: string) => CardRange | undefined = () => undefined,
): Signals {
  const amount = Number(input.amount);
  const created = input.account?.createdAt;
  const deviceAge = facts?.device ? minutesSince(facts.device.boundAt, nowMs) : NEVER_MINUTES;
  const max30d = Number(facts?.amountMax30dMinor ?? 0n);
  const median30d = Number(facts?.amountMedian30dMinor ?? 0n);
  const category = input.merchantCategory ?? 'unknown';
  const prefix = input.sourceIp ? sourcePrefix(input.sourceIp) : undefined;
  // What an acquirer reported for the card outranks the BIN table, which is coarser.
  const range = facts?.cardBin ? cardRange(facts.cardBin) : undefined;
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
    // An internal address names no network (sourcePrefix): nothing is counted for it.
    source_accounts_1d: prefix ? (facts?.sourceAccounts1d ?? 0) : 0,
    source_failures_1h: facts?.sourceFailures1h ?? 0,
    card_other_customers: facts?.cardOtherCustomers ?? 0,
    card_funding: input.cardFunding ?? facts?.cardFunding ?? range?.funding ?? 'unknown',
    card_country: facts?.cardCountry ?? range?.country ?? 'unknown',
    amount_max_30d: max30d,
    amount_ratio_30d: max30d > 0 ? amount / max30d : amount,
    amount_median_30d: median30d,
    amount_ratio_median_30d: median30d > 0 ? amount / median30d : amount,
    merchant_category: category,
    high_resale: HIGH_RESALE_CATEGORIES.has(category),
  };
  for (const name of VELOCITY_SIGNAL_NAMES) s[name] = 0;
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

import type { RiskLimits } from '../config.ts';

// The default policy as data, and its pure evaluation: limits per top-up, per day and per
// month by account tier; velocity rules per customer, device and terminal. Nothing here
// touches the database or the clock: assess() (risk.ts) gathers the facts and calls these.

const DECISIONS = ['allow', 'review', 'step_up', 'block'] as const;
/** Ordered by severity: the most severe decision of all matching reasons wins. */
export type Decision = (typeof DECISIONS)[number];

const ASSESS_KINDS = ['topup', 'code_issue', 'code_payment', 'store_payment'] as const;
export type AssessKind = (typeof ASSESS_KINDS)[number];

/** standard; new: a young account; cooldown: just after a post-recovery hold ended. */
export type Tier = 'standard' | 'new' | 'cooldown';

export interface TopupLimits {
  perTopupMinor: bigint;
  dailyMinor: bigint;
  monthlyMinor: bigint;
}

export interface VelocityRule {
  /** Named in the reasons stored with the payment: `velocity:<id>`. */
  id: string;
  kinds: readonly AssessKind[];
  subject: 'customer' | 'device' | 'terminal';
  windowSeconds: number;
  /** Matches when this attempt would be more than countMax in the window. */
  countMax?: number;
  /** Matches when this attempt would bring the window's amount above amountMinorMax. */
  amountMinorMax?: bigint;
  decision: Exclude<Decision, 'allow'>;
}

const PAYMENTS: readonly AssessKind[] = ['code_payment', 'store_payment'];

export const DEFAULT_RULES: readonly VelocityRule[] = Object.freeze([
  {
    id: 'customer_payments_minute',
    kinds: PAYMENTS,
    subject: 'customer',
    windowSeconds: 60,
    countMax: 5,
    decision: 'review',
  },
  {
    id: 'customer_payments_burst',
    kinds: PAYMENTS,
    subject: 'customer',
    windowSeconds: 60,
    countMax: 20,
    decision: 'block',
  },
  {
    id: 'customer_payments_hour_amount',
    kinds: PAYMENTS,
    subject: 'customer',
    windowSeconds: 3600,
    amountMinorMax: 500_000n,
    decision: 'review',
  },
  {
    id: 'device_codes_minute',
    kinds: ['code_issue'],
    subject: 'device',
    windowSeconds: 60,
    countMax: 10,
    decision: 'block',
  },
  {
    id: 'terminal_payments_minute',
    kinds: PAYMENTS,
    subject: 'terminal',
    windowSeconds: 60,
    countMax: 120,
    decision: 'review',
  },
  {
    id: 'customer_topups_hour',
    kinds: ['topup'],
    subject: 'customer',
    windowSeconds: 3600,
    countMax: 5,
    decision: 'step_up',
  },
] satisfies VelocityRule[]);

export function severer(a: Decision, b: Decision): Decision {
  return DECISIONS.indexOf(a) >= DECISIONS.indexOf(b) ? a : b;
}

export function tierOf(
  limits: Pick<RiskLimits, 'accountNewSecondsMax' | 'cooldownSecondsAfterHold'>,
  nowMs: number,
  account: { createdAt?: Date | undefined; moneyHoldUntil?: Date | null | undefined },
): Tier {
  const hold = account.moneyHoldUntil?.getTime();
  if (hold !== undefined && nowMs < hold + limits.cooldownSecondsAfterHold * 1000) {
    return 'cooldown';
  }
  const created = account.createdAt?.getTime();
  if (created !== undefined && nowMs - created < limits.accountNewSecondsMax * 1000) return 'new';
  return 'standard';
}

export interface OwnLimits {
  perTopupMinor: bigint | null;
  dailyMinor: bigint | null;
  monthlyMinor: bigint | null;
}

const lower = (a: bigint, b: bigint | null) => (b !== null && b < a ? b : a);

/** The tier's limits, lowered where the customer set lower ones. */
export function effectiveLimits(tierLimits: TopupLimits, own: OwnLimits | null): TopupLimits {
  if (!own) return tierLimits;
  return {
    perTopupMinor: lower(tierLimits.perTopupMinor, own.perTopupMinor),
    dailyMinor: lower(tierLimits.dailyMinor, own.dailyMinor),
    monthlyMinor: lower(tierLimits.monthlyMinor, own.monthlyMinor),
  };
}

export interface Usage {
  dayMinor: bigint;
  monthMinor: bigint;
}

/** Limit reasons for a top-up of amount, most specific first. */
export function limitReasons(limits: TopupLimits, usage: Usage, amount: bigint): string[] {
  const out: string[] = [];
  if (amount > limits.perTopupMinor) out.push('limit_per_topup');
  if (usage.dayMinor + amount > limits.dailyMinor) out.push('limit_daily');
  if (usage.monthMinor + amount > limits.monthlyMinor) out.push('limit_monthly');
  return out;
}

/** The start (as a date string) of the local day and month of nowMs. */
export function periodStarts(nowMs: number, offsetMinutes: number): { day: string; month: string } {
  const local = new Date(nowMs + offsetMinutes * 60_000).toISOString();
  return { day: local.slice(0, 10), month: `${local.slice(0, 7)}-01` };
}

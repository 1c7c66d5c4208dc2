import type { RiskLimits } from '../config.ts';

// Limits in code, and their pure evaluation: limits per top-up, per day and per month by
// account tier (the rules that are data live in PostgreSQL: engine.ts, default-rules.ts).
// Nothing here touches the database or the clock: assess() (risk.ts) gathers the facts.

/** standard; new: a young account; cooldown: just after a post-recovery hold ended. */
export type Tier = 'standard' | 'new' | 'cooldown';

export interface TopupLimits {
  perTopupMinor: bigint;
  dailyMinor: bigint;
  monthlyMinor: bigint;
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

import type { RiskLimits } from '../config.ts';
import type { Db, Sql, Tx } from '../db/index.ts';
import type { Clock } from '../lib/clock.ts';
import { KinkoError } from '../lib/errors.ts';
import {
  effectiveLimits,
  limitReasons,
  periodStarts,
  severer,
  tierOf,
  type AssessKind,
  type Decision,
  type OwnLimits,
  DEFAULT_RULES,
  type VelocityRule,
  type Tier,
  type TopupLimits,
  type Usage,
} from './rules.ts';
import * as store from './store.ts';
// The module's error codes are registered wherever its services are used.
import { VelocityCounters } from './velocity.ts';
import { riskError, type RiskErrorCode } from './errors.ts';

// assess(): the risk decision for one money movement. Code payments and code issuing are
// decided in memory (velocity); top-ups add one small query (the day's and month's usage
// and the customer's own limits). The caller stores the decision and reasons with the
// payment and acts on them: block refuses, step_up asks for a fresh strong factor, review
// lets the payment through flagged for an analyst.

interface AssessInput {
  kind: AssessKind;
  customerId: string;
  deviceId?: string | undefined;
  terminalId?: string | undefined;
  merchantId?: string | undefined;
  amount: bigint;
  currency: string;
  /** Facts the caller already has, from identity: account age and the last hold's end. */
  account?: { createdAt?: Date | undefined; moneyHoldUntil?: Date | null | undefined };
  frozen?: boolean | undefined;
}

export interface Assessment {
  decision: Decision;
  reasons: string[];
  /** Top-ups: the limits that applied and what was used before this one. */
  limits?: { tier: Tier; effective: TopupLimits; usage: Usage };
}

interface RiskDeps {
  sql: Sql;
  clock: Clock;
  limits: RiskLimits;
  /** The velocity rules: policy written as data (rules.ts), DEFAULT_RULES unless given. */
  rules?: readonly VelocityRule[] | undefined;
}

interface WalletLimits {
  tier: Tier;
  maximum: TopupLimits;
  own: OwnLimits | null;
  effective: TopupLimits;
  usage: Usage;
}

export interface Risk {
  /** The decision; `db` lets a top-up assess inside its transaction, after lockCustomer. */
  assess(input: AssessInput, db?: Db): Promise<Assessment>;
  /** Takes the customer's advisory lock so that assess + record are atomic per customer. */
  lockCustomer(tx: Tx, customerId: string): Promise<void>;
  /** Adds a top-up to the day's and month's usage (negative: gives it back). */
  recordUsage(tx: Tx, customerId: string, kind: AssessKind, amountMinor: bigint): Promise<void>;
  walletLimits(customerId: string, account: AssessInput['account'], db?: Db): Promise<WalletLimits>;
  /** Sets the customer's own limits (null: the tier's); each at most the tier's maximum. */
  setOwnLimits(customerId: string, own: OwnLimits, account: AssessInput['account']): Promise<void>;
}

export function createRisk(deps: RiskDeps): Risk {
  const { limits, clock } = deps;
  const velocity = new VelocityCounters(deps.rules ?? DEFAULT_RULES, limits.velocityKeysMax);
  const periods = () => periodStarts(clock.nowMs(), limits.usageUtcOffsetMinutes);
  const walletLimits: Risk['walletLimits'] = async (customerId, account, db = deps.sql) => {
    const tier = tierOf(limits, clock.nowMs(), account ?? {});
    const { usage, own } = await store.usageAndLimits(db, customerId, 'topup', periods());
    const maximum = limits.topup[tier];
    return { tier, maximum, own, effective: effectiveLimits(maximum, own), usage };
  };
  return {
    assess: async (input, db) => {
      let decision: Decision = 'allow';
      const reasons: string[] = [];
      const add = (reason: string, d: Decision) => {
        reasons.push(reason);
        decision = severer(decision, d);
      };
      if (input.frozen) add('account_frozen', 'block');
      let applied: Assessment['limits'];
      if (input.kind === 'topup') {
        const w = await walletLimits(input.customerId, input.account, db);
        applied = { tier: w.tier, effective: w.effective, usage: w.usage };
        if (w.tier !== 'standard') reasons.push(`tier:${w.tier}`);
        for (const r of limitReasons(w.effective, w.usage, input.amount)) add(r, 'block');
      }
      const subjects = {
        customerId: input.customerId,
        deviceId: input.deviceId,
        terminalId: input.terminalId,
      };
      for (const h of velocity.hit(input.kind, subjects, input.amount, clock.nowMs())) {
        add(h.reason, h.decision);
      }
      return applied ? { decision, reasons, limits: applied } : { decision, reasons };
    },
    lockCustomer: (tx, customerId) => store.lockCustomer(tx, customerId),
    recordUsage: (tx, customerId, kind, amountMinor) =>
      store.addUsage(
        tx,
        { customerId, kind, amountMinor, count: amountMinor >= 0n ? 1 : -1 },
        periods(),
      ),
    walletLimits,
    setOwnLimits: async (customerId, own, account) => {
      const maximum = limits.topup[tierOf(limits, clock.nowMs(), account ?? {})];
      const over = (v: bigint | null, max: bigint) => v !== null && v > max;
      if (
        over(own.perTopupMinor, maximum.perTopupMinor) ||
        over(own.dailyMinor, maximum.dailyMinor) ||
        over(own.monthlyMinor, maximum.monthlyMinor)
      ) {
        throw riskError('limit_above_maximum', { extra: { maximum: limitsJson(maximum) } });
      }
      await store.setOwnLimits(deps.sql, customerId, own, clock.now());
    },
  };
}

export function limitsJson(l: TopupLimits) {
  return {
    per_topup: l.perTopupMinor.toString(),
    daily: l.dailyMinor.toString(),
    monthly: l.monthlyMinor.toString(),
  };
}

const REFUSALS: ReadonlyArray<[string, RiskErrorCode]> = [
  ['account_frozen', 'risk_blocked'],
  ['limit_per_topup', 'limit_per_topup_exceeded'],
  ['limit_daily', 'limit_daily_exceeded'],
  ['limit_monthly', 'limit_monthly_exceeded'],
];

/**
 * The named error for a refused assessment (block, or step_up without a fresh factor), in
 * the precedence of RISK_ERRORS; null when the money may move.
 */
export function refusalOf(a: Assessment, freshStrongAuth: boolean): KinkoError | null {
  if (a.decision === 'block') {
    for (const [reason, code] of REFUSALS) {
      if (!a.reasons.includes(reason)) continue;
      const l = a.limits;
      const extra = l
        ? {
            limits: limitsJson(l.effective),
            used: { day: String(l.usage.dayMinor), month: String(l.usage.monthMinor) },
          }
        : undefined;
      return riskError(code, extra ? { extra } : {});
    }
    if (a.reasons.some((r) => r.startsWith('velocity:'))) {
      return riskError('risk_velocity_exceeded', { extra: { retry_after_seconds: 60 } });
    }
    return riskError('risk_blocked');
  }
  if (a.decision === 'step_up' && !freshStrongAuth) return riskError('risk_step_up_required');
  return null;
}

import type { AssessKind, Decision, VelocityRule } from './rules.ts';

// Velocity counters in memory: one fixed window per (rule, subject). In-process on purpose:
// the decision must cost microseconds, not a round trip (DESIGN §6: p99 ≤ 5 ms). With
// several processes each counts its own share, so a rule holds per process; the daily and
// monthly amounts, which must be exact, live in the database (store.ts).

interface Window {
  startMs: number;
  count: number;
  amount: bigint;
}

interface VelocitySubjects {
  customerId: string;
  deviceId?: string | undefined;
  terminalId?: string | undefined;
}

interface VelocityHit {
  reason: string;
  decision: Exclude<Decision, 'allow'>;
}

export class VelocityCounters {
  private readonly windows = new Map<string, Window>();

  constructor(
    private readonly rules: readonly VelocityRule[],
    private readonly keysMax: number,
  ) {}

  /** Counts this attempt in every matching rule's window; returns the rules it passes. */
  hit(kind: AssessKind, subjects: VelocitySubjects, amount: bigint, nowMs: number): VelocityHit[] {
    const hits: VelocityHit[] = [];
    for (const rule of this.rules) {
      if (!rule.kinds.includes(kind)) continue;
      const subject = subjectOf(rule, subjects);
      if (subject === undefined) continue;
      const w = this.window(`${rule.id}|${subject}`, rule.windowSeconds * 1000, nowMs);
      w.count += 1;
      w.amount += amount;
      const overCount = rule.countMax !== undefined && w.count > rule.countMax;
      const overAmount = rule.amountMinorMax !== undefined && w.amount > rule.amountMinorMax;
      if (overCount || overAmount)
        hits.push({ reason: `velocity:${rule.id}`, decision: rule.decision });
    }
    return hits;
  }

  get size(): number {
    return this.windows.size;
  }

  private window(key: string, windowMs: number, nowMs: number): Window {
    const startMs = nowMs - (nowMs % windowMs);
    let w = this.windows.get(key);
    if (!w || w.startMs !== startMs) {
      if (w) this.windows.delete(key);
      w = { startMs, count: 0, amount: 0n };
      // Map keeps insertion order: the first keys are the least recently renewed windows.
      if (this.windows.size >= this.keysMax) {
        const oldest = this.windows.keys().next().value;
        if (oldest !== undefined) this.windows.delete(oldest);
      }
      this.windows.set(key, w);
    }
    return w;
  }
}

function subjectOf(rule: VelocityRule, s: VelocitySubjects): string | undefined {
  if (rule.subject === 'customer') return s.customerId;
  if (rule.subject === 'device') return s.deviceId;
  return s.terminalId;
}

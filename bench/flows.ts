import { percentile as pct } from './load.ts';
import { runCallers, type CallersJob, type CallersResult } from './callers.ts';
import { round } from './report.ts';

// One caller, then CALLERS concurrent callers, of the same flow on the same platform: the
// figure bench:topup and bench:web-pay hold to a target is the ratio of the two rates,
// measured in one run (target: 16 callers at least 3 × one caller). An audited write that
// serialises on one lock while the server waits for the client cannot scale that way.

export const CALLERS = 16;
export const SCALING_MIN = 3;

export interface FlowFigures {
  perSecond: number;
  p50Ms: number;
  p99Ms: number;
  flows: number;
  failures: number;
  firstFailure: string;
  callerCpuUsPerFlow: number;
}

export function figuresOf(r: CallersResult): FlowFigures {
  const sorted = r.latenciesMs.sort((a, b) => a - b);
  return {
    perSecond: round(r.ok / r.seconds),
    p50Ms: round(pct(sorted, 50)),
    p99Ms: round(pct(sorted, 99)),
    flows: r.ok + r.failed,
    failures: r.failed,
    firstFailure: r.firstFailure,
    callerCpuUsPerFlow: round((r.cpuSeconds / Math.max(1, r.ok)) * 1e6),
  };
}

/**
 * Runs a warm-up (not counted: the first requests of a route compile its schemas and code),
 * the one-caller job, then the many-caller job; returns both and their ratio.
 */
export async function oneThenMany(warm: CallersJob, one: CallersJob, many: CallersJob) {
  const warmed = await runCallers(warm);
  if (warmed.failed > 0) throw new Error(`warm-up failed: ${warmed.firstFailure}`);
  const single = figuresOf(await runCallers(one));
  const concurrent = figuresOf(await runCallers(many));
  const scaling = round(concurrent.perSecond / single.perSecond);
  return { single, concurrent, scaling };
}

import { percentile as pct } from './load.ts';
import { runCallers, type CallersJob, type CallersResult } from './callers.ts';
import { printReport, round } from './report.ts';

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

/**
 * Prints a one-then-many run: its line for people, then its JSON line. Returns whether every
 * flow succeeded (the target may still be missed: the JSON line's `ok` says so).
 */
export function reportScaling(
  bench: string,
  what: string,
  run: Awaited<ReturnType<typeof oneThenMany>>,
  checks: Record<string, string>,
): boolean {
  const { single, concurrent, scaling } = run;
  const failures = single.failures + concurrent.failures;
  process.stdout.write(
    `${what}: one caller ` +
      `${single.perSecond}/s (p50 ${single.p50Ms} ms, p99 ${single.p99Ms} ms); ` +
      `${CALLERS} callers ${concurrent.perSecond}/s (p50 ${concurrent.p50Ms} ms, ` +
      `p99 ${concurrent.p99Ms} ms) = ${scaling} × one caller (target ≥ ${SCALING_MIN}); ` +
      `failures ${failures}` +
      `${failures ? ` (first: ${single.firstFailure || concurrent.firstFailure})` : ''}; ` +
      `ledger check ${checks['ledger']}, audit verify ${checks['audit']}\n`,
  );
  printReport({
    bench,
    figures: { callers: CALLERS, concurrent },
    reference: { what: 'the same flow, one caller, same run', ...single },
    ratios: { concurrentToOne: scaling },
    targets: { concurrentToOne: `>= ${SCALING_MIN}` },
    ok: scaling >= SCALING_MIN && failures === 0,
    checks,
  });
  return failures === 0;
}

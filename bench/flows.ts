import path from 'node:path';
import type { Sql } from '../src/db/index.ts';
import { percentile as pct } from './load.ts';
import { runCallers, type CallersJob, type CallersResult } from './callers.ts';
import { cpuMeter } from './cpu.ts';
import { printReport, round } from './report.ts';
import { countStatements } from './statements.ts';
import type { PgStatements } from './pg-statements.ts';
import { startWaits } from './waits.ts';

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
  /** Server (Node) and PostgreSQL CPU per flow, outbox work it left behind included. */
  cpuUsPerFlow: { server: number; postgres: number; total: number };
  statementsPerFlow: number;
  /** Socket writes to PostgreSQL per flow: its round trips (statements.ts). */
  roundTripsPerFlow: number;
}

/** What the platform under test must let a run measure: its pool, its data, its outbox. */
export interface Measured {
  sql: Sql;
  dataDir: string;
  outbox: { stats(): Promise<{ ready: number; leased: number }[]> };
  /** Statements' cost in PostgreSQL, reported per flow of each run (BENCH_PG_STATEMENTS). */
  pgStatements?: PgStatements;
  /** Where BENCH_WAITS samples the server's backends during each run (waits.ts). */
  pgUrls?: { superuserUrl: string; databaseUrl: string };
}

/** Waits (bounded) until the outbox has no ready or leased event: the flows' work is done. */
async function drained(outbox: Measured['outbox']): Promise<void> {
  for (let i = 0; i < 600; i++) {
    const busy = (await outbox.stats()).some((t) => t.ready > 0 || t.leased > 0);
    if (!busy) return;
    await new Promise((r) => setTimeout(r, 50));
  }
}

type Cost = Pick<FlowFigures, 'cpuUsPerFlow' | 'statementsPerFlow' | 'roundTripsPerFlow'>;

export function figuresOf(r: CallersResult, cost: Cost): FlowFigures {
  const sorted = r.latenciesMs.sort((a, b) => a - b);
  return {
    ...cost,
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
export async function oneThenMany(
  at: Measured,
  warm: CallersJob,
  one: CallersJob,
  many: CallersJob,
) {
  const warmed = await runCallers(warm);
  if (warmed.failed > 0) throw new Error(`warm-up failed: ${warmed.firstFailure}`);
  await drained(at.outbox);
  const cpu = cpuMeter(path.join(at.dataDir, 'pg'));
  const measure = async (job: CallersJob): Promise<FlowFigures> => {
    await drained(at.outbox);
    cpu.read();
    const statements = countStatements(at.sql);
    await at.pgStatements?.reset();
    const waits = at.pgUrls && startWaits(at.pgUrls.superuserUrl, at.pgUrls.databaseUrl);
    const result = await runCallers(job);
    await waits?.stop(`flow, ${job.callers.length} caller(s)`);
    await drained(at.outbox);
    const used = cpu.read();
    await at.pgStatements?.report(Math.max(1, result.ok), `flow, ${job.callers.length} caller(s)`);
    const sent = statements.read();
    statements.stop();
    const ok = Math.max(1, result.ok);
    if (process.env['BENCH_STATEMENTS']) {
      for (const [text, n] of sent.top) {
        process.stderr.write(`${(n / ok).toFixed(3).padStart(8)}  ${text}\n`);
      }
    }
    const us = (seconds: number) => round((seconds / ok) * 1e6);
    const cpuUsPerFlow = {
      server: us(used.server),
      postgres: us(used.postgres),
      total: us(used.server + used.postgres),
    };
    return figuresOf(result, {
      cpuUsPerFlow,
      statementsPerFlow: round(sent.total / ok),
      roundTripsPerFlow: round(sent.writes / ok),
    });
  };
  const single = await measure(one);
  const concurrent = await measure(many);
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
      `CPU per flow ${single.cpuUsPerFlow.total} µs / ${concurrent.cpuUsPerFlow.total} µs ` +
      `(server ${concurrent.cpuUsPerFlow.server}, PostgreSQL ` +
      `${concurrent.cpuUsPerFlow.postgres}), ${concurrent.statementsPerFlow} statements in ` +
      `${concurrent.roundTripsPerFlow} round trips; ` +
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

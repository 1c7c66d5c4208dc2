import { performance } from 'node:perf_hooks';
import { loadConfig } from '../src/config.ts';
import type { Sql } from '../src/db/index.ts';
import { manualClock } from '../src/lib/clock.ts';
import { createRisk } from '../src/risk/index.ts';

// `npm run bench:risk`: what one payment decision costs in process — the default policy's
// velocity rules over many customers, devices and terminals, no database (a code payment's
// decision reads none). Target: p99 under 5 ms, since the decision runs inside the register
// payment's request. A timed figure, so it is measured here, not asserted by a test on a
// shared machine. Prints one line for people, then one JSON line of the figures.

const DECISIONS = Number(process.env['BENCH_DECISIONS'] ?? 20_000);
const WARMUP = Math.min(2_000, DECISIONS);
const P99_MS_TARGET = 5;

const noDatabase = null as unknown as Sql;
const clock = manualClock(Date.UTC(2026, 3, 1));
const limits = loadConfig({}).limits.risk;
const risk = createRisk({ sql: noDatabase, clock, limits });

async function decide(i: number): Promise<number> {
  const started = performance.now();
  await risk.assess({
    kind: 'code_payment',
    customerId: `c${i % 5000}`,
    deviceId: `d${i % 5000}`,
    terminalId: `t${i % 50}`,
    amount: 1000n,
    currency: 'JPY',
  });
  clock.advanceMs(1);
  return performance.now() - started;
}

for (let i = 0; i < WARMUP; i++) await decide(i);
const times: number[] = [];
const cpu0 = process.cpuUsage();
for (let i = 0; i < DECISIONS; i++) times.push(await decide(WARMUP + i));
const cpu = process.cpuUsage(cpu0);
times.sort((a, b) => a - b);
const at = (p: number) => times[Math.min(times.length - 1, Math.floor((times.length * p) / 100))]!;
const figures = {
  bench: 'risk',
  decisions: DECISIONS,
  p50_ms: Number(at(50).toFixed(4)),
  p99_ms: Number(at(99).toFixed(4)),
  max_ms: Number(times[times.length - 1]!.toFixed(4)),
  cpu_us_per_decision: Number(((cpu.user + cpu.system) / DECISIONS).toFixed(2)),
  p99_ms_target: P99_MS_TARGET,
  ok: at(99) < P99_MS_TARGET,
};
process.stdout.write(
  `risk decision in process: ${DECISIONS} decisions, p50 ${figures.p50_ms} ms, ` +
    `p99 ${figures.p99_ms} ms (target < ${P99_MS_TARGET} ms), max ${figures.max_ms} ms, ` +
    `CPU ${figures.cpu_us_per_decision} µs each\n${JSON.stringify(figures)}\n`,
);
process.exitCode = figures.ok ? 0 : 1;

import { performance } from 'node:perf_hooks';
import { loadConfig } from '../src/config.ts';
import { DEFAULT_RULE_SET } from '../src/risk/default-rules.ts';
import { compileRuleSet } from '../src/risk/engine.ts';
import { baseSignals } from '../src/risk/facts.ts';
import { HomeNetworks } from '../src/risk/home-networks.ts';

// `npm run bench:risk`: what the rule evaluation of one decision costs in process — building
// the signals and running the default rule set (live) and the same set again (as a shadow
// would), without the database reads and writes, which bench:pay measures with the engine
// on and off (KINKO_RISK_ENGINE=off). The home-country lookup runs against a table the size
// of Japan's in APNIC's file (about 3,000 IPv4 and 2,000 IPv6 blocks, made up here).
// Prints one line for people, then one JSON line.

const DECISIONS = Number(process.env['BENCH_DECISIONS'] ?? 100_000);
const WARMUP = Math.min(5_000, DECISIONS);
const P99_MS_TARGET = 0.05;

const limits = loadConfig({}).limits.risk;
const live = compileRuleSet(1, DEFAULT_RULE_SET);
const shadow = compileRuleSet(2, DEFAULT_RULE_SET);
const t0 = Date.UTC(2026, 3, 1);

// Every other /16 from 1.0 on, and every other /32 of 2400::/12: blocks that do not merge.
const blocks = [
  ...Array.from({ length: 3000 }, (_, i) => {
    const [a, b] = [1 + Math.floor((2 * i) / 256), (2 * i) % 256];
    return { first: `${a}.${b}.0.0`, last: `${a}.${b}.255.255` };
  }),
  ...Array.from({ length: 2000 }, (_, i) => {
    const g = (0x2400_0000 + 2 * i).toString(16);
    const head = `${g.slice(0, 4)}:${g.slice(4)}`;
    return { first: `${head}::`, last: `${head}:ffff:ffff:ffff:ffff:ffff:ffff` };
  }),
];
const home = new HomeNetworks(async () => blocks);
await home.refresh(undefined as never);
const isHome = (ip: string) => home.isHome(ip);

function decide(i: number): number {
  const started = performance.now();
  const s = baseSignals(
    {
      kind: i % 3 === 0 ? 'topup' : 'code_payment',
      customerId: `c${i % 5000}`,
      amount: BigInt(500 + (i % 7) * 1000),
      currency: 'JPY',
      sourceIp: i % 2 ? `${1 + (i % 23)}.${i % 250}.0.7` : `2400:${(i % 4000).toString(16)}::9`,
      merchantCategory: i % 11 === 0 ? 'tobacco' : 'grocery',
    },
    { device: { boundAt: new Date(t0 - (i % 90) * 86_400_000), accounts: 1 } },
    limits,
    t0 + i,
    isHome,
  );
  live.evaluate(s);
  shadow.evaluate(s);
  return performance.now() - started;
}

for (let i = 0; i < WARMUP; i++) decide(i);
const times: number[] = [];
const cpu0 = process.cpuUsage();
for (let i = 0; i < DECISIONS; i++) times.push(decide(WARMUP + i));
const cpu = process.cpuUsage(cpu0);
times.sort((a, b) => a - b);
const at = (p: number) => times[Math.min(times.length - 1, Math.floor((times.length * p) / 100))]!;
const figures = {
  bench: 'risk',
  decisions: DECISIONS,
  p50_ms: Number(at(50).toFixed(4)),
  p99_ms: Number(at(99).toFixed(4)),
  cpu_us_per_decision: Number(((cpu.user + cpu.system) / DECISIONS).toFixed(2)),
  p99_ms_target: P99_MS_TARGET,
  ok: at(99) < P99_MS_TARGET,
};
process.stdout.write(
  `risk rules in process: ${DECISIONS} decisions (live + shadow), p50 ${figures.p50_ms} ms, ` +
    `p99 ${figures.p99_ms} ms (target < ${P99_MS_TARGET} ms), ` +
    `CPU ${figures.cpu_us_per_decision} µs each\n${JSON.stringify(figures)}\n`,
);
process.exitCode = figures.ok ? 0 : 1;

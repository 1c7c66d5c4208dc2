import { createLogger } from '../src/lib/log.ts';
import type { TopupCaller } from './callers.ts';
import { CALLERS, oneThenMany, reportScaling } from './flows.ts';
import { BENCH_ORIGIN, startBenchPlatform } from './platform.ts';
import { startProfile } from './profile.ts';
import { checkAfter } from './report.ts';
import { walletCustomer } from './wallet-fixtures.ts';

// `npm run bench:topup`: wallet top-ups with the test card through HTTP, as the wallet app
// makes them: a device challenge, signed by the bound device key, then POST
// /v1/wallet/topups with the linked card (card charged through the acquirer's simulator,
// ledger clearing → wallet posted, audit and outbox written, answer stored). One caller,
// then 16 concurrent callers (closed loop, callers.ts); the ratio of the two rates is held
// to ≥ 3 (after a few top-ups not counted, to warm the code). Customers are made first through the API (wallet-fixtures.ts, not measured); each
// takes at most TOPUPS_PER_CUSTOMER top-ups, under the velocity rule that asks for a
// step-up from the 6th top-up in an hour. Then `ledger check` and `audit verify`, and the
// one JSON line.
//
// Environment: BENCH_FLOWS_ONE (top-ups by the single caller; default 40), BENCH_FLOWS_EACH
// (top-ups by each of the 16 callers; default 16), BENCH_LOG, BENCH_CPU_PROFILE (profile.ts),
// BENCH_PG_STATEMENTS (each statement's cost in PostgreSQL per flow: pg-statements.ts),
// BENCH_STATEMENTS (prints the statements sent per flow, most frequent first).

const FLOWS_ONE = Number(process.env['BENCH_FLOWS_ONE'] ?? 40);
const FLOWS_EACH = Number(process.env['BENCH_FLOWS_EACH'] ?? 16);
// Two per customer: the default rules hold a third top-up within a minute for review
// (topup_burst), and a held top-up charges nothing until an analyst approves it.
const TOPUPS_PER_CUSTOMER = 2;
const AMOUNT = 1000;
const FIXTURE_PARALLEL = 8;

const log = createLogger({ level: process.env['BENCH_LOG'] ?? 'warn' });
const bench = await startBenchPlatform(log, 'topupbench');
try {
  const { platform } = bench;
  const m = platform.modules;
  const wallet = await m.merchants.createMerchant(
    { name: 'Kinko Wallet', mode: 'live', allowedOrigins: [BENCH_ORIGIN] },
    { type: 'cli' },
  );
  const perCaller = (flows: number) => Math.ceil(flows / TOPUPS_PER_CUSTOMER);
  const warmUp = TOPUPS_PER_CUSTOMER;
  const wanted = 1 + perCaller(FLOWS_ONE) + CALLERS * perCaller(FLOWS_EACH);
  const customers: TopupCaller[] = [];
  for (let n = 0; n < wanted; n += FIXTURE_PARALLEL) {
    const group = Array.from({ length: Math.min(FIXTURE_PARALLEL, wanted - n) }, (_, i) =>
      walletCustomer(platform.app, m, wallet.merchantId, n + i + 1),
    );
    customers.push(...(await Promise.all(group)));
  }
  const take = (k: number) => customers.splice(0, k);
  const job = (callers: TopupCaller[][], flowsEach: number) => ({
    flow: 'topup' as const,
    url: platform.url,
    amount: AMOUNT,
    flowsEach,
    callers,
  });
  const stopProfile = await startProfile();
  const at = {
    sql: bench.sql,
    dataDir: bench.dataDir,
    outbox: m.outbox,
    pgStatements: bench.pgStatements,
    pgUrls: bench.pgUrls,
  };
  const run = await oneThenMany(
    at,
    job([take(1)], warmUp),
    job([take(perCaller(FLOWS_ONE))], FLOWS_ONE),
    job(
      Array.from({ length: CALLERS }, () => take(perCaller(FLOWS_EACH))),
      FLOWS_EACH,
    ),
  );
  await stopProfile();
  await platform.stop();
  const checks = await checkAfter(m);
  if (!reportScaling('topup', 'wallet top-ups over HTTP (device challenge + top-up)', run, checks))
    process.exitCode = 1;
} finally {
  await bench.close();
}

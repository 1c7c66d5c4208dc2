import { createLogger } from '../src/lib/log.ts';
import type { WebPayCaller } from './callers.ts';
import { CALLERS, oneThenMany, reportScaling } from './flows.ts';
import { BENCH_ORIGIN, startBenchPlatform } from './platform.ts';
import { startProfile } from './profile.ts';
import { checkAfter } from './report.ts';

// `npm run bench:web-pay`: merchant web payments through HTTP with the test card and
// immediate capture: POST /v1/payments (the card token, capture_method automatic) and POST
// /v1/payments/:id/confirm (authorization through the acquirer's simulator, ledger pending
// then posted, audit, webhook event, answers stored for idempotency). One caller, then 16
// concurrent callers (closed loop, callers.ts), each a merchant of its own with a card
// tokenized for it (not measured); the ratio of the two rates is held to ≥ 3. Then
// `ledger check` and `audit verify`, and the one JSON line.
//
// Environment: BENCH_FLOWS_ONE (payments by the single caller; default 60), BENCH_FLOWS_EACH
// (payments by each of the 16 callers; default 20), BENCH_LOG, BENCH_CPU_PROFILE (profile.ts),
// BENCH_PG_STATEMENTS (each statement's cost in PostgreSQL per flow: pg-statements.ts),
// BENCH_STATEMENTS (prints the statements sent per flow, most frequent first).

const FLOWS_ONE = Number(process.env['BENCH_FLOWS_ONE'] ?? 60);
const FLOWS_EACH = Number(process.env['BENCH_FLOWS_EACH'] ?? 20);
const AMOUNT = 2500;
const TEST_CARD = '4242424242424242';

const log = createLogger({ level: process.env['BENCH_LOG'] ?? 'warn' });
const bench = await startBenchPlatform(log, 'webpaybench');
try {
  const { platform } = bench;
  const m = platform.modules;
  const shop = async (n: number): Promise<WebPayCaller> => {
    const s = await m.merchants.createMerchant(
      { name: `Bench Shop ${n}`, mode: 'live', allowedOrigins: [BENCH_ORIGIN] },
      { type: 'cli' },
    );
    const card = await m.card.vault.tokenize({
      number: TEST_CARD,
      expMonth: 12,
      expYear: 2030,
      merchantId: s.merchantId,
      actor: { type: 'merchant', id: s.merchantId },
    });
    return { secretKey: s.secretKey, cardToken: card.token };
  };
  const shops = await Promise.all(Array.from({ length: CALLERS + 1 }, (_, n) => shop(n)));
  const warmUp = Math.min(5, FLOWS_ONE);
  const job = (callers: WebPayCaller[], flowsEach: number) => ({
    flow: 'web-pay' as const,
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
    job(shops.slice(0, 1), warmUp),
    job(shops.slice(0, 1), FLOWS_ONE),
    job(shops.slice(1), FLOWS_EACH),
  );
  await stopProfile();
  await platform.stop();
  const checks = await checkAfter(m);
  if (
    !reportScaling(
      'web-pay',
      'web payments over HTTP (create + confirm, immediate capture)',
      run,
      checks,
    )
  )
    process.exitCode = 1;
} finally {
  await bench.close();
}

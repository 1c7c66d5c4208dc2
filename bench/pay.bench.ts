import { randomUUID } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { cpuMeter } from './cpu.ts';
import { measureFloor } from './http-floor.ts';
import { percentile as pct, runLoad, type LoadJob } from './load.ts';
import { startProfile } from './profile.ts';
import { countStatements, trackPoolSockets } from './statements.ts';
import { startMeasuredPostgres } from './pg-statements.ts';
import { checkAfter, printReport, round } from './report.ts';
import { generatePaymentCode, paymentCodeHmac } from '../src/codes/index.ts';
import { loadConfig } from '../src/config.ts';
import { connect, EMBEDDED_SERVING_ROLE, type Sql } from '../src/db/index.ts';
import { createLogger } from '../src/lib/log.ts';
import { createModules, startPlatform } from '../src/main.ts';
import {
  accountIdFor,
  accountInput,
  CARD_CLEARING_OWNER,
  loadOrCreatePaymentCodeKey,
  type BatcherStats,
  type RedeemPhases,
} from '../src/payments/index.ts';

// `npm run bench:pay`: code payments end to end over HTTP — POST /v1/code_payments with a
// terminal credential and an Idempotency-Key: code verified, risk assessed, wallet → merchant
// posted, payment row, audit and outbox written, answer stored — against a fresh embedded
// PostgreSQL with durable commits. Many customers with funded wallets and issued codes are
// prepared up front (as fixtures, straight into the tables: sign-up and top-up are not what
// is measured), one merchant with one terminal.
//
// The load comes from a child process over keep-alive HTTP connections (load.ts). First
// closed-loop at BENCH_CONNECTIONS: the peak rate. The sustained rate also counts the time
// the workers need afterwards to send what those payments set in motion (receipts, notices,
// webhook events). Then, from rest, open-loop at 80 % of the sustained rate, timed from
// each request's due time (no coordinated omission). Prints one line, with the CPU each
// payment cost the server, PostgreSQL and the load generator.
//
// The reference is measured first, in the same run: the HTTP floor (http-floor.ts, this
// server's HTTP stack answering a payment-shaped request with no database), driven the same
// way. The targets are ratios to it: peak payments ≥ 35 % of the floor's peak, and p99 ≤
// 50 ms at 80 % of the sustained rate (the cashier is waiting). Then `ledger check` and
// `audit verify`, and the one JSON line with the figures, the floor's and the ratios.
//
// The platform is main.ts's startPlatform on 127.0.0.1 with its background workers running
// (receipts, notifications, webhooks, audit checkpoints), key files outside the data dir.
//
// Environment: BENCH_PAYMENTS (first run; default 20,000), BENCH_CONNECTIONS (default 512: a
// micro-batch can only be as large as the requests waiting for it), BENCH_FLOOR_REQUESTS
// (default 2 × BENCH_PAYMENTS), BENCH_STEADY_RATE (the open-loop run's payments/s instead of
// 80 % of the sustained rate: two commits compared at the same load), KINKO_PAYMENTS_* (the register's settings, e.g.
// KINKO_PAYMENTS_BATCHES_IN_FLIGHT_MAX), BENCH_LOG (log level), BENCH_CPU_PROFILE (a file: the server's
// CPU profile over the peak run and its background work, profile.ts), BENCH_STATEMENTS (list
// the statements the peak run and its background work sent, per payment, on stderr),
// BENCH_PG_STATEMENTS (what each statement cost PostgreSQL, per payment: pg-statements.ts).

const PAYMENTS = Number(process.env['BENCH_PAYMENTS'] ?? 20_000);
const CONNECTIONS = Number(process.env['BENCH_CONNECTIONS'] ?? 512);
const FLOOR_REQUESTS = Number(process.env['BENCH_FLOOR_REQUESTS'] ?? 2 * PAYMENTS);
/** The open-loop run's rate, for paired runs at the same load; 0: 80 % of sustained. */
const STEADY_RATE = Number(process.env['BENCH_STEADY_RATE'] ?? 0);
const PEAK_RATIO_MIN = 0.35;
const STEADY_P99_MS_MAX = 50;
const AMOUNT = 100;
/** Payments per customer, under the risk rule that flags a 5th payment in a minute. */
const PER_CUSTOMER = 4;

async function main(): Promise<void> {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'kinko-paybench-'));
  // The embedded server runs as the postgres user when we are root: it must traverse root.
  fs.chmodSync(root, 0o711);
  const dataDir = path.join(root, 'data');
  const keysDir = path.join(root, 'keys');
  fs.mkdirSync(dataDir);
  const log = createLogger({ level: process.env['BENCH_LOG'] ?? 'warn' });
  // The reference first, before the database starts: the same load on the bare HTTP stack.
  const floor = await measureFloor(log, FLOOR_REQUESTS, CONNECTIONS);
  const { pg, pgCost } = await startMeasuredPostgres(dataDir, log);
  const config = loadConfig({
    KINKO_ENV: 'test',
    KINKO_DATA_DIR: dataDir,
    KINKO_KEK_FILE: path.join(keysDir, 'vault-keys.json'),
    KINKO_AUDIT_SIGNING_KEY_FILE: path.join(keysDir, 'audit-signing.key'),
    KINKO_DB_POOL_CONNECTIONS_MAX: '12',
    HOST: '127.0.0.1',
    PORT: '0',
    // The register's settings (batch window, size, batches in flight) may be tried here, and
    // the risk engine switched off (KINKO_RISK_ENGINE=off) to measure what it costs.
    ...Object.fromEntries(
      Object.entries(process.env).filter(
        ([k]) => k.startsWith('KINKO_PAYMENTS_') || k.startsWith('KINKO_RISK_'),
      ),
    ),
  });
  const sql = connect(pg.url, { connectionsMax: config.limits.dbPoolConnectionsMax });
  trackPoolSockets(sql);
  const owner = { url: pg.ownerUrl, servingRole: EMBEDDED_SERVING_ROLE };
  const db = { sql, description: 'bench', owner, close: () => sql.end({ timeout: 5 }) };
  try {
    const platform = await startPlatform(config, log, { db, listen: true });
    const m = platform.modules;
    const { url } = platform;
    const codeKey = loadOrCreatePaymentCodeKey(path.join(keysDir, 'payment-codes.key'));
    const peakCodes = Math.ceil(PAYMENTS);
    const steadyCodes = Math.ceil(PAYMENTS * 0.8);
    const fx = await fixtures(sql, m, codeKey, peakCodes + steadyCodes);
    const job = (codes: string[], rate: number): LoadJob => ({
      url,
      path: '/v1/code_payments',
      headers: { authorization: fx.auth },
      bodies: codes.map((code) => JSON.stringify({ code, amount: AMOUNT, store_id: fx.storeId })),
      idempotencyPrefix: `bench-${rate}-`,
      connections: CONNECTIONS,
      rate,
    });
    const cpu = cpuMeter(path.join(dataDir, 'pg'));
    const before = m.payments.batcherStats();
    const phasesBefore = m.payments.redeemPhases();
    const stopProfile = await startProfile();
    const statements = countStatements(sql);
    await pgCost.reset();
    const peak = await runLoad(job(fx.codes.slice(0, peakCodes), 0));
    const peakRate = peak.ok / peak.seconds;
    const batches = batchFigures(before, m.payments.batcherStats(), peak.seconds);
    const phases = phaseFigures(phasesBefore, m.payments.redeemPhases(), peak.ok);
    // The peak run leaves receipts, notices and webhook events behind in the outbox. The
    // sustained peak counts the time the workers take to catch up: what each payment sets
    // in motion is part of its cost (and so is the CPU they use). The steady run starts
    // from rest, at 80 % of the sustained peak.
    const drainedIn = await drained(m.outbox);
    const peakCpu = cpu.read();
    await stopProfile();
    const sent = statements.read();
    statements.stop();
    if (process.env['BENCH_STATEMENTS']) {
      for (const [text, n] of sent.top) {
        process.stderr.write(`${(n / peak.ok).toFixed(3).padStart(8)}  ${text}\n`);
      }
    }
    await pgCost.report(peak.ok, 'payment of the peak run, its background work included');
    await pgCost.close();
    const sustained = peak.ok / (peak.seconds + drainedIn);
    const rate = STEADY_RATE || Math.max(1, Math.floor(sustained * 0.8));
    const steadyBefore = m.payments.batcherStats();
    const steadyPhasesBefore = m.payments.redeemPhases();
    const steady = await runLoad(job(fx.codes.slice(peakCodes), rate));
    const steadyBatches = batchFigures(steadyBefore, m.payments.batcherStats(), steady.seconds);
    const steadyPhases = phaseFigures(steadyPhasesBefore, m.payments.redeemPhases(), steady.ok);
    await platform.stop();
    const checks = await checkAfter(m);
    const [merchant] = await m.ledger.lookupAccounts([
      accountIdFor('merchant', fx.merchantId, 'JPY'),
    ]);
    const expected = BigInt((peak.ok + steady.ok) * AMOUNT);
    const credited = merchant ? merchant.creditsPosted : 0n;
    if (credited !== expected) throw new Error(`merchant credited ${credited} ≠ ${expected}`);
    const a = peak.latenciesMs.sort((x, y) => x - y);
    const b = steady.latenciesMs.sort((x, y) => x - y);
    const failures = peak.failed + steady.failed;
    const perPayment = (seconds: number) => round((seconds / peak.ok) * 1e6);
    const figures = {
      peakPerSecond: round(peakRate),
      peakP50Ms: round(pct(a, 50)),
      peakP99Ms: round(pct(a, 99)),
      sustainedPerSecond: round(sustained),
      drainSeconds: round(drainedIn),
      steadyRate: rate,
      steadyPerSecond: round(steady.ok / steady.seconds),
      steadyP50Ms: round(pct(b, 50)),
      steadyP99Ms: round(pct(b, 99)),
      failures,
      firstFailure: peak.firstFailure || steady.firstFailure,
      batches,
      batchPhases: phases,
      steadyBatches,
      steadyBatchPhases: steadyPhases,
      statementsPerPayment: round(sent.total / peak.ok),
      roundTripsPerPayment: round(sent.writes / peak.ok),
      cpuUsPerPayment: {
        server: perPayment(peakCpu.server),
        postgres: perPayment(peakCpu.postgres),
        loadGenerator: perPayment(peak.cpuSeconds),
      },
      payments: PAYMENTS,
      connections: CONNECTIONS,
    };
    const ratios = {
      peakToFloorPeak: round(peakRate / floor.peakPerSecond),
      sustainedToFloorPeak: round(sustained / floor.peakPerSecond),
    };
    const ok = ratios.peakToFloorPeak >= PEAK_RATIO_MIN && figures.steadyP99Ms <= STEADY_P99_MS_MAX;
    process.stdout.write(
      `code payments over HTTP: peak ${peakRate.toFixed(0)} payments/s = ` +
        `${(ratios.peakToFloorPeak * 100).toFixed(1)} % of the HTTP floor's ` +
        `${floor.peakPerSecond.toFixed(0)} requests/s measured in this run ` +
        `(${peak.ok} in ${peak.seconds.toFixed(2)} s, ${CONNECTIONS} connections, ` +
        `p50 ${figures.peakP50Ms} ms, p99 ${figures.peakP99Ms} ms), ` +
        `sustained ${sustained.toFixed(0)} payments/s (background caught up ` +
        `${drainedIn.toFixed(1)} s later); at 80 % of sustained = ${rate}/s: ` +
        `${figures.steadyPerSecond} payments/s, p50 ${figures.steadyP50Ms} ms, ` +
        `p99 ${figures.steadyP99Ms} ms (batches: ${steadyBatches}; ${steadyPhases}) ` +
        `(floor at 80 % of its peak: p99 ` +
        `${floor.steadyP99Ms.toFixed(1)} ms); failures ${failures}` +
        `${failures ? ` (first: ${figures.firstFailure})` : ''}; merchant credited exactly; ` +
        `ledger check ${checks['ledger']}, audit verify ${checks['audit']}; ` +
        `peak run's redemption batches: ${batches}; ` +
        `a batch's time (ms per batch / µs per payment): ${phases}; ` +
        `${figures.statementsPerPayment} statements in ${figures.roundTripsPerPayment} ` +
        `round trips per payment; CPU per payment (peak run and its background work): ` +
        `server ${figures.cpuUsPerPayment.server} µs, ` +
        `PostgreSQL ${figures.cpuUsPerPayment.postgres} µs, ` +
        `load generator ${figures.cpuUsPerPayment.loadGenerator} µs\n`,
    );
    printReport({
      bench: 'pay',
      figures,
      reference: {
        what: 'http floor: code-payment-shaped route, no database, same run',
        ...Object.fromEntries(
          Object.entries(floor).map(([k, v]) => [k, typeof v === 'number' ? round(v) : v]),
        ),
      },
      ratios,
      targets: {
        peakToFloorPeak: `>= ${PEAK_RATIO_MIN}`,
        steadyP99Ms: `<= ${STEADY_P99_MS_MAX}`,
      },
      ok,
      checks,
    });
    if (failures > 0) process.exitCode = 1;
  } finally {
    await sql.end({ timeout: 5 });
    await pg.stop();
    fs.rmSync(root, { recursive: true, force: true });
  }
}

/** The micro-batches of a run: how many, how large, how long, and how busy the batcher was. */
function batchFigures(a: BatcherStats, b: BatcherStats, seconds: number): string {
  const n = b.batches - a.batches;
  const busyMs = b.busyMs - a.busyMs;
  return (
    `${n}, ${((b.items - a.items) / n).toFixed(0)} payments and ` +
    `${(busyMs / n).toFixed(1)} ms each, batcher busy ${(busyMs / 10 / seconds).toFixed(0)} %`
  );
}

/**
 * Where the batches' time went (redeem.ts): milliseconds per batch and microseconds per
 * payment of each phase, open (a connection) to COMMIT.
 */
function phaseFigures(a: RedeemPhases, b: RedeemPhases, payments: number): string {
  const n = b.batches - a.batches;
  const names = ['open', 'read', 'decide', 'post', 'write', 'commit'] as const;
  const parts = names.map((name) => {
    const ms = b[`${name}Ms`] - a[`${name}Ms`];
    return `${name} ${(ms / n).toFixed(1)}/${((ms * 1000) / payments).toFixed(0)}`;
  });
  return parts.join(', ');
}

/** Waits (at most 5 minutes) until no outbox event is ready or leased; returns seconds. */
async function drained(outbox: ReturnType<typeof createModules>['outbox']): Promise<number> {
  const started = performance.now();
  for (let i = 0; i < 3000; i++) {
    const busy = (await outbox.stats()).some((t) => t.ready > 0 || t.leased > 0);
    if (!busy) break;
    await new Promise((r) => setTimeout(r, 100));
  }
  return (performance.now() - started) / 1000;
}

/**
 * One merchant with one terminal; customers (identity rows), funded wallets (ledger) and
 * issued codes (HMACs) written directly, in batches.
 */
async function fixtures(
  sql: Sql,
  m: ReturnType<typeof createModules>,
  codeKey: Buffer,
  codesWanted: number,
) {
  const merchant = await m.merchants.createMerchant(
    {
      name: 'Bench Mart',
      mode: 'live',
      store: { name: 'Bench Mart Ginza', mcc: '5411', city: 'Tokyo', postalCode: '104-0061' },
    },
    { type: 'cli' },
  );
  const customers = Math.ceil(codesWanted / PER_CUSTOMER);
  const now = new Date();
  const ids = Array.from({ length: customers }, () => randomUUID());
  const codes: string[] = [];
  const clearing = accountInput('card_clearing', CARD_CLEARING_OWNER, 'JPY');
  await m.ledger.createAccounts([clearing, accountInput('merchant', merchant.merchantId, 'JPY')]);
  for (let i = 0; i < ids.length; i += 2000) {
    const chunk = ids.slice(i, i + 2000);
    await sql`
      insert into identity_customers (id, email, phone, password_hash, created_at, updated_at)
      select id, 'bench-' || id || '@example.com', '+81' || (9000000000 + n)::text, 'bench',
        ${now}, ${now}
      from unnest(${chunk}::uuid[], ${chunk.map((_, j) => i + j)}::int8[]) as t(id, n)`;
    await m.ledger.createAccounts(chunk.map((id) => accountInput('customer_wallet', id, 'JPY')));
    await m.ledger.createTransfers(
      chunk.map((id) => ({
        id: randomUUID(),
        debitAccountId: clearing.id,
        creditAccountId: accountIdFor('customer_wallet', id, 'JPY'),
        amount: BigInt(PER_CUSTOMER * AMOUNT),
        currency: 'JPY',
        code: 101,
      })),
    );
    const rows = chunk.flatMap((id) =>
      Array.from({ length: PER_CUSTOMER }, () => {
        const code = generatePaymentCode();
        codes.push(code);
        return { id, hmac: paymentCodeHmac(codeKey, code).toString('hex') };
      }),
    );
    const expires = new Date(now.getTime() + 3600_000);
    await sql`
      insert into payments_codes (hmac, customer_id, device_id, expires_at, created_at)
      select decode(h, 'hex'), id, id, ${expires}, ${now}
      from unnest(${rows.map((r) => r.hmac)}::text[], ${rows.map((r) => r.id)}::uuid[])
        as t(h, id)`;
  }
  // Interleave customers so that consecutive payments come from different wallets.
  const order: string[] = [];
  for (let k = 0; k < PER_CUSTOMER; k++) {
    for (let c = 0; c < customers; c++) order.push(codes[c * PER_CUSTOMER + k]!);
  }
  return {
    merchantId: merchant.merchantId,
    storeId: merchant.store!.id,
    auth: `Terminal ${merchant.terminal!.id}:${merchant.terminalSecret!}`,
    codes: order.slice(0, codesWanted),
  };
}

await main();

import { randomUUID } from 'node:crypto';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fork } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { cpuMeter } from './cpu.ts';
import { generatePaymentCode, paymentCodeHmac } from '../src/codes/index.ts';
import { loadConfig } from '../src/config.ts';
import { connect, migrate, startEmbeddedPostgres, type Sql } from '../src/db/index.ts';
import { createLogger } from '../src/lib/log.ts';
import { createModules, startPlatform } from '../src/main.ts';
import {
  accountIdFor,
  accountInput,
  CARD_CLEARING_OWNER,
  loadOrCreatePaymentCodeKey,
  type BatcherStats,
} from '../src/payments/index.ts';

// `npm run bench:pay`: code payments end to end over HTTP — POST /v1/code_payments with a
// terminal credential and an Idempotency-Key: code verified, risk assessed, wallet → merchant
// posted, payment row, audit and outbox written, answer stored — against a fresh embedded
// PostgreSQL with durable commits. Many customers with funded wallets and issued codes are
// prepared up front (as fixtures, straight into the tables: sign-up and top-up are not what
// is measured), one merchant with one terminal.
//
// The load comes from a child process over keep-alive HTTP connections (raw sockets, see
// Connection). First closed-loop at BENCH_CONNECTIONS: the peak rate. The sustained rate also
// counts the time the workers need afterwards to send what those payments set in motion
// (receipts, notices, webhook events). Then, from rest, open-loop at 80 % of the sustained
// rate, timed from each request's due time (no coordinated omission). Prints one line, with
// the CPU each payment cost the server, PostgreSQL and the load generator.
//
// The platform is main.ts's startPlatform on 127.0.0.1 with its background workers running
// (receipts, notifications, webhooks, audit checkpoints), key files outside the data dir.
//
// Environment: BENCH_PAYMENTS (first run; default 20,000), BENCH_CONNECTIONS (default 512: a
// micro-batch can only be as large as the requests waiting for it), BENCH_LOG (log level).

const PAYMENTS = Number(process.env['BENCH_PAYMENTS'] ?? 20_000);
const CONNECTIONS = Number(process.env['BENCH_CONNECTIONS'] ?? 512);
const AMOUNT = 100;
/** Payments per customer, under the risk rule that flags a 5th payment in a minute. */
const PER_CUSTOMER = 4;

interface Job {
  url: string;
  auth: string;
  storeId: string;
  codes: string[];
  connections: number;
  /** Requests per second for an open-loop run; 0 for closed-loop. */
  rate: number;
}

interface Result {
  ok: number;
  failed: number;
  firstFailure: string;
  seconds: number;
  latenciesMs: number[];
  /** CPU seconds the load generator used. */
  cpuSeconds: number;
}

const GENERATOR_FLAG = '--load-generator';

/**
 * One keep-alive connection of the load generator, written on the socket directly: Node's
 * http client costs about as much CPU per request as the payment itself, and it runs on
 * the same two cores as the server. One request at a time per connection (no pipelining).
 */
class Connection {
  private buf = '';
  private current: { scheduledAt: number; done: (status: number, body: string) => void } | null =
    null;
  readonly ready: Promise<void>;
  private readonly socket: net.Socket;

  constructor(target: URL) {
    this.socket = net.connect({ host: target.hostname, port: Number(target.port) });
    this.socket.setNoDelay(true);
    this.ready = new Promise((resolve, reject) => {
      this.socket.once('connect', resolve);
      this.socket.once('error', reject);
    });
    this.socket.on('data', (chunk: Buffer) => this.read(chunk));
  }

  send(request: string, scheduledAt: number, done: (status: number, body: string) => void) {
    this.current = { scheduledAt, done };
    this.socket.write(request);
  }

  close(): void {
    this.socket.destroy();
  }

  private read(chunk: Buffer): void {
    this.buf += chunk.toString('latin1');
    const head = this.buf.indexOf('\r\n\r\n');
    if (head < 0) return;
    const length = /\r\ncontent-length: *(\d+)/i.exec(this.buf.slice(0, head));
    const end = head + 4 + (length ? Number(length[1]) : 0);
    if (this.buf.length < end) return;
    const status = Number(this.buf.slice(9, 12));
    const body = this.buf.slice(head + 4, end);
    this.buf = this.buf.slice(end);
    const current = this.current!;
    this.current = null;
    current.done(status, body);
  }
}

async function drive(job: Job): Promise<Result> {
  const target = new URL(job.url);
  const conns = Array.from({ length: job.connections }, () => new Connection(target));
  await Promise.all(conns.map((c) => c.ready));
  const latenciesMs: number[] = [];
  let ok = 0;
  let failed = 0;
  let firstFailure = '';
  const request = (i: number) => {
    const body = JSON.stringify({ code: job.codes[i], amount: AMOUNT, store_id: job.storeId });
    return (
      `POST /v1/code_payments HTTP/1.1\r\nhost: ${target.host}\r\n` +
      `authorization: ${job.auth}\r\nidempotency-key: bench-${i}-${job.rate}\r\n` +
      `content-type: application/json\r\ncontent-length: ${Buffer.byteLength(body)}\r\n\r\n` +
      body
    );
  };
  const record = (scheduledAt: number, status: number, text: string) => {
    latenciesMs.push(performance.now() - scheduledAt);
    if (status === 200) ok += 1;
    else {
      failed += 1;
      firstFailure ||= `${status} ${text.slice(0, 200)}`;
    }
  };
  const cpuStart = process.cpuUsage();
  const started = performance.now();
  let next = 0;
  await new Promise<void>((finish) => {
    let answered = 0;
    const waiting: { i: number; at: number }[] = [];
    const idle = [...conns];
    const onDone = (conn: Connection, at: number) => (status: number, text: string) => {
      record(at, status, text);
      if (++answered === job.codes.length) return finish();
      if (job.rate === 0 && next < job.codes.length) return go(conn, next++, performance.now());
      const queued = waiting.shift();
      if (queued) go(conn, queued.i, queued.at);
      else idle.push(conn);
    };
    const go = (conn: Connection, i: number, at: number) =>
      conn.send(request(i), at, onDone(conn, at));
    if (job.rate === 0) {
      for (const conn of conns) if (next < job.codes.length) go(conn, next++, performance.now());
      return;
    }
    // Open loop: request i is due at started + i / rate, sent on an idle connection or
    // queued; its latency counts from when it was due, so queueing is measured too.
    const gapMs = 1000 / job.rate;
    const tick = () => {
      const now = performance.now();
      while (next < job.codes.length && started + next * gapMs <= now) {
        const at = started + next * gapMs;
        const conn = waiting.length === 0 ? idle.pop() : undefined;
        if (conn) go(conn, next, at);
        else waiting.push({ i: next, at });
        next++;
      }
      if (next < job.codes.length) setTimeout(tick, 1);
    };
    tick();
  });
  const seconds = (performance.now() - started) / 1000;
  for (const c of conns) c.close();
  const cpuUsed = process.cpuUsage(cpuStart);
  const cpuSeconds = (cpuUsed.user + cpuUsed.system) / 1e6;
  return { ok, failed, firstFailure, seconds, latenciesMs, cpuSeconds };
}

/** Runs the load generator in its own process, so it does not share the server's loop. */
function run(job: Job): Promise<Result> {
  return new Promise((resolve, reject) => {
    const child = fork(fileURLToPath(import.meta.url), [GENERATOR_FLAG], {
      execArgv: ['--import', 'tsx'],
    });
    child.once('message', (result) => resolve(result as Result));
    child.once('error', reject);
    child.send(job);
  });
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() =>
        typeof address === 'object' && address ? resolve(address.port) : reject(),
      );
    });
  });
}

const pct = (sorted: number[], p: number) =>
  sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? NaN;

async function main(): Promise<void> {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'kinko-paybench-'));
  // The embedded server runs as the postgres user when we are root: it must traverse root.
  fs.chmodSync(root, 0o711);
  const dataDir = path.join(root, 'data');
  const keysDir = path.join(root, 'keys');
  fs.mkdirSync(dataDir);
  const log = createLogger({ level: process.env['BENCH_LOG'] ?? 'warn' });
  const pg = await startEmbeddedPostgres({ dataDir, port: await freePort(), log });
  const config = loadConfig({
    KINKO_ENV: 'test',
    KINKO_DATA_DIR: dataDir,
    KINKO_KEK_FILE: path.join(keysDir, 'vault-keys.json'),
    KINKO_AUDIT_SIGNING_KEY_FILE: path.join(keysDir, 'audit-signing.key'),
    KINKO_DB_POOL_CONNECTIONS_MAX: '12',
    HOST: '127.0.0.1',
    PORT: '0',
  });
  const sql = connect(pg.url, { connectionsMax: config.limits.dbPoolConnectionsMax });
  const db = { sql, description: 'bench', close: () => sql.end({ timeout: 5 }) };
  try {
    const platform = await startPlatform(config, log, { db, listen: true });
    const m = platform.modules;
    const { url } = platform;
    const codeKey = loadOrCreatePaymentCodeKey(path.join(keysDir, 'payment-codes.key'));
    const peakCodes = Math.ceil(PAYMENTS);
    const steadyCodes = Math.ceil(PAYMENTS * 0.8);
    const fx = await fixtures(sql, m, codeKey, peakCodes + steadyCodes);
    const job = { url, auth: fx.auth, storeId: fx.storeId, connections: CONNECTIONS };
    const cpu = cpuMeter(path.join(dataDir, 'pg'));
    const before = m.payments.batcherStats();
    const peak = await run({ ...job, codes: fx.codes.slice(0, peakCodes), rate: 0 });
    const peakRate = peak.ok / peak.seconds;
    const batches = batchFigures(before, m.payments.batcherStats(), peak.seconds);
    // The peak run leaves receipts, notices and webhook events behind in the outbox. The
    // sustained peak counts the time the workers take to catch up: what each payment sets
    // in motion is part of its cost (and so is the CPU they use). The steady run starts
    // from rest, at 80 % of the sustained peak.
    const drainedIn = await drained(m.outbox);
    const peakCpu = cpu.read();
    const sustained = peak.ok / (peak.seconds + drainedIn);
    const rate = Math.max(1, Math.floor(sustained * 0.8));
    const steady = await run({ ...job, codes: fx.codes.slice(peakCodes), rate });
    await platform.stop();
    const check = await m.ledger.check();
    const [merchant] = await m.ledger.lookupAccounts([
      accountIdFor('merchant', fx.merchantId, 'JPY'),
    ]);
    const expected = BigInt((peak.ok + steady.ok) * AMOUNT);
    const credited = merchant ? merchant.creditsPosted : 0n;
    const a = peak.latenciesMs.sort((x, y) => x - y);
    const b = steady.latenciesMs.sort((x, y) => x - y);
    const failures = peak.failed + steady.failed;
    process.stdout.write(
      `code payments over HTTP: peak ${peakRate.toFixed(0)} payments/s ` +
        `(${peak.ok} in ${peak.seconds.toFixed(2)} s, ${CONNECTIONS} connections, ` +
        `p50 ${pct(a, 50).toFixed(1)} ms, p99 ${pct(a, 99).toFixed(1)} ms), ` +
        `sustained ${sustained.toFixed(0)} payments/s (background caught up ` +
        `${drainedIn.toFixed(1)} s later); at 80 % of sustained = ${rate}/s: ${(steady.ok / steady.seconds).toFixed(0)} payments/s, ` +
        `p50 ${pct(b, 50).toFixed(1)} ms, p99 ${pct(b, 99).toFixed(1)} ms; ` +
        `failures ${failures}${failures ? ` (first: ${peak.firstFailure || steady.firstFailure})` : ''}; ` +
        `merchant credited ${credited === expected ? 'exactly' : `${credited} ≠ ${expected}`}; ` +
        `ledger check ${check.ok ? 'ok' : 'FAILED'}; peak run's redemption batches: ${batches}; ` +
        `CPU per payment (peak run and its background work): ` +
        `server ${((peakCpu.server / peak.ok) * 1e6).toFixed(0)} µs, ` +
        `PostgreSQL ${((peakCpu.postgres / peak.ok) * 1e6).toFixed(0)} µs, ` +
        `load generator ${((peak.cpuSeconds / peak.ok) * 1e6).toFixed(0)} µs\n`,
    );
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
      mode: 'test',
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

if (process.argv.includes(GENERATOR_FLAG)) {
  process.once('message', (job: Job) => {
    void drive(job).then((result) => process.send!(result, () => process.exit(0)));
  });
} else {
  await main();
}

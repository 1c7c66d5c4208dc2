import { randomInt } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createAudit } from '../src/audit/index.ts';
import { cpuMeter } from './cpu.ts';
import { startMeasuredPostgres } from './pg-statements.ts';
import { startProfile } from './profile.ts';
import { loadConfig } from '../src/config.ts';
import {
  BinaryRows,
  binaryCopy,
  connect,
  copyIn,
  EMBEDDED_SERVING_ROLE,
  migrate,
  type Sql,
} from '../src/db/index.ts';
import { systemClock } from '../src/lib/clock.ts';
import { uuidv7 } from '../src/lib/ids.ts';
import { createLogger } from '../src/lib/log.ts';
import {
  createLedger,
  type AccountInput,
  type Ledger,
  type TransferInput,
} from '../src/ledger/index.ts';

// `npm run bench:ledger`: the ledger against plain PostgreSQL on one fresh embedded server
// with durable commits (synchronous_commit on, the default), every figure beside a reference
// measured in the same run, so the ratios hold on any machine of the kind.
//
// 1. One transfer per transaction (`createTransfers([t])`, random accounts) by 1 and by 16
//    concurrent callers; reference: 16 callers each committing an INSERT of a transfer row
//    and an UPDATE of its two balances, no logic, no audit. Targets: 16 callers ≥ 3× one,
//    and ≥ 45 % of the reference. The line also prints the reference's own 16-vs-1 ratio:
//    on a machine of few cores, CPU per transaction bounds both, so it is the ratio those
//    cores allow (a figure beside the target, not a replacement for it).
// 2. Batches of 1,000 and of 8,190 transfers, between random accounts and all crediting one
//    hot account; reference: COPY of the same transfer rows plus one set-based UPDATE of the
//    balances. Target ≥ 60 % of the reference at the same size.
//
// It ends with `ledger check` and `audit verify` (either failing fails the run) and one JSON
// line holding every figure. Environment: BENCH_ACCOUNTS, BENCH_SECONDS (per one-transfer
// scenario), BENCH_BATCH_TRANSFERS (per batch scenario), BENCH_CALLERS, BENCH_CHAIN_DELAY_MS
// (how soon entries are chained after commit; the server's auditChainDelayMs by default),
// BENCH_ONLY=one (skip the batch scenarios) or BENCH_ONLY=random1000,hot8190 (those batch
// scenarios only, no one-transfer ones), BENCH_CPU_PROFILE (profile.ts: a CPU
// profile of the 16-caller Kinko run) and BENCH_PG_STATEMENTS (pg-statements.ts: what each
// statement cost PostgreSQL, per transaction of the 16-caller Kinko run and per transfer of
// each batch scenario, Kinko's and the reference's, on stderr).
//
// Batches run one pipeline: a batch between random accounts locks most of them and every
// hot-account batch locks the hot one, so concurrent batches only queue on row locks.

const ACCOUNTS = Number(process.env['BENCH_ACCOUNTS'] ?? 10_000);
const SECONDS = Number(process.env['BENCH_SECONDS'] ?? 3);
const BATCH_TRANSFERS = Number(process.env['BENCH_BATCH_TRANSFERS'] ?? 3 * 8190);
const CALLERS = Number(process.env['BENCH_CALLERS'] ?? 16);
/**
 * BENCH_ONLY=one: the one-transfer scenarios only; BENCH_ONLY=random1000,hot1000: those
 * batch scenarios only (quick A/B runs).
 */
const ONLY = process.env['BENCH_ONLY']?.split(',') ?? [];
const ONLY_ONE = ONLY.includes('one');
const ONLY_BATCHES = ONLY.length > 0 && !ONLY_ONE;
const batchRuns = (name: string) => !ONLY_BATCHES || ONLY.includes(name);
/** Transactions each caller commits, on each side, before the one-transfer runs. */
const WARM_UP_TRANSACTIONS = 20;
const TARGET = { callersRatio: 3, oneVsRaw: 0.45, batchVsRaw: 0.6 };

const limits = loadConfig({ KINKO_ENV: 'test' }).limits;
const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'kinko-bench-'));
const log = createLogger({ level: process.env['BENCH_LOG'] ?? 'warn' });
// The statements' cost is off (a no-op) unless BENCH_PG_STATEMENTS is set.
const { pg, pgCost } = await startMeasuredPostgres(dataDir, log, false);
const sql = connect(pg.url, { connectionsMax: CALLERS + 2 });
const cpu = cpuMeter(path.join(dataDir, 'pg'));

type Pick = () => [string, string];
/** Progress on stderr, so stdout holds only the figures. */
const progress = (line: string) => process.stderr.write(`${line}\n`);
const round = (x: number) => Math.round(x);
const ratio = (a: number, b: number) => Math.round((a / b) * 1000) / 1000;

try {
  const owner = connect(pg.ownerUrl, { connectionsMax: 1, statementTimeoutMs: 0 });
  await migrate(owner, { servingRole: EMBEDDED_SERVING_ROLE });
  // The reference's tables have the ledger's columns, checks and indexes, and nothing else.
  await owner.unsafe(`
    create table bench_raw_accounts (like ledger_accounts including all);
    create table bench_raw_transfers (like ledger_transfers including all);`);
  await owner.end();
  const chainDelayMs = Number(process.env['BENCH_CHAIN_DELAY_MS'] ?? limits.auditChainDelayMs);
  const audit = createAudit({ clock: systemClock, sql, log, chainDelayMs });
  const ledger = createLedger({ sql, clock: systemClock, audit, limits });
  const ids = await createAccounts(ledger);
  await sql`insert into bench_raw_accounts select * from ledger_accounts`;
  const random: Pick = () => {
    const d = randomInt(ACCOUNTS);
    const c = (d + 1 + randomInt(ACCOUNTS - 1)) % ACCOUNTS;
    return [ids[d]!, ids[c]!];
  };
  const hot: Pick = () => [ids[1 + randomInt(ACCOUNTS - 1)]!, ids[0]!];

  const one = ONLY_BATCHES ? null : await oneTransferScenarios(ledger, random);
  const batches: Record<string, BatchFigures> = {};
  const sizes = (ONLY_ONE ? [] : [1000, limits.ledgerTransferBatchSizeMax]).filter(
    (size) => batchRuns(`random${size}`) || batchRuns(`hot${size}`),
  );
  // One batch of each size on each side first, unmeasured: the first large batches run code
  // V8 has not optimised yet, which only the first scenario measured would pay for.
  for (const size of sizes) {
    const b = Array.from({ length: size }, () => transfer(random));
    await ledger.createTransfers(b);
    await rawBatch(
      sql,
      b.map((t) => ({ ...t, id: uuidv7() })),
    );
  }
  for (const size of sizes) {
    for (const [name, pick] of [
      ['random', random],
      ['hot', hot],
    ] as const) {
      if (!batchRuns(`${name}${size}`)) continue;
      batches[`${name}${size}`] = await batchScenario(ledger, size, pick);
    }
  }
  const checks = await finalChecks();
  report(one, batches, checks);
} finally {
  await pgCost.close();
  await sql.end({ timeout: 5 });
  await pg.stop();
  fs.rmSync(dataDir, { recursive: true, force: true });
}

async function createAccounts(ledger: Ledger): Promise<string[]> {
  const ids: string[] = [];
  const size = limits.ledgerTransferBatchSizeMax;
  for (let i = 0; i < ACCOUNTS; i += size) {
    const accounts: AccountInput[] = [];
    for (let j = i; j < Math.min(ACCOUNTS, i + size); j++) {
      const id = uuidv7();
      ids.push(id);
      accounts.push({ id, currency: 'JPY', code: 1 });
    }
    await ledger.createAccounts(accounts);
  }
  return ids;
}

/** A transfer as the benchmark makes it: every field the reference writes is present. */
interface Planned extends TransferInput {
  id: string;
  debitAccountId: string;
  creditAccountId: string;
  amount: bigint;
  currency: string;
  code: number;
}

function transfer(pick: Pick): Planned {
  const [debitAccountId, creditAccountId] = pick();
  return { id: uuidv7(), debitAccountId, creditAccountId, amount: 1n, currency: 'JPY', code: 1 };
}

/** Commits per second by `callers` concurrent loops of `commit` for SECONDS. */
async function perSecond(callers: number, commit: () => Promise<void>): Promise<number> {
  const deadline = Date.now() + SECONDS * 1000;
  let done = 0;
  const started = process.hrtime.bigint();
  const loop = async () => {
    while (Date.now() < deadline) {
      await commit();
      done += 1;
    }
  };
  await Promise.all(Array.from({ length: callers }, loop));
  return done / (Number(process.hrtime.bigint() - started) / 1e9);
}

async function oneTransferScenarios(ledger: Ledger, pick: Pick) {
  const post = async () => {
    const [r] = await ledger.createTransfers([transfer(pick)]);
    if (r?.result !== 'ok') throw new Error(`transfer failed: ${r?.result}`);
  };
  const raw = () => rawOne(sql, transfer(pick));
  await warmUp(post, raw);
  const kinko1 = await perSecond(1, post);
  progress(`Kinko, 1 caller: ${round(kinko1)}/s`);
  await pgCost.reset();
  cpu.read();
  const stopProfile = await startProfile();
  const kinkoN = await perSecond(CALLERS, post);
  await stopProfile();
  const kinkoCpu = perTransaction(cpu.read(), kinkoN);
  await pgCost.report(Math.round(kinkoN * SECONDS), `transaction, Kinko, ${CALLERS} callers`);
  progress(`Kinko, ${CALLERS} callers: ${round(kinkoN)}/s`);
  const raw1 = await perSecond(1, raw);
  cpu.read();
  const rawN = await perSecond(CALLERS, raw);
  const rawCpu = perTransaction(cpu.read(), rawN);
  return {
    cpuUs: { kinko: kinkoCpu, raw: rawCpu },
    callers: CALLERS,
    kinko1: round(kinko1),
    kinkoN: round(kinkoN),
    raw1: round(raw1),
    rawN: round(rawN),
    callersRatio: ratio(kinkoN, kinko1),
    rawCallersRatio: ratio(rawN, raw1),
    vsRaw: ratio(kinkoN, rawN),
  };
}

/**
 * Opens the pool's connections and prepares both sides' statements on each before anything
 * is measured, as a running server has long done: otherwise the 16-caller Kinko run pays
 * for 15 connects (SCRAM's PBKDF2 in Node, a backend's start in PostgreSQL) and the first
 * planning of its statements, which the raw run after it then finds done.
 */
async function warmUp(post: () => Promise<void>, raw: () => Promise<void>): Promise<void> {
  const rounds = async (commit: () => Promise<void>) => {
    const loop = async () => {
      for (let i = 0; i < WARM_UP_TRANSACTIONS; i++) await commit();
    };
    await Promise.all(Array.from({ length: CALLERS }, loop));
  };
  await rounds(post);
  await rounds(raw);
}

/** CPU µs per transaction of a SECONDS-long run at `rate` per second. */
function perTransaction(used: { server: number; postgres: number }, rate: number) {
  const us = (x: number) => Math.round((x / (rate * SECONDS)) * 1e6);
  return { node: us(used.server), postgres: us(used.postgres) };
}

/**
 * The reference transaction: one transfer row, its two balances; no logic, no audit. Two
 * callers updating the same pair in opposite order may deadlock; that one is run again.
 */
async function rawOne(db: Sql, t: Planned): Promise<void> {
  for (;;) {
    try {
      return await rawOneAttempt(db, t);
    } catch (e) {
      if ((e as { code?: unknown }).code !== '40P01') throw e;
    }
  }
}

async function rawOneAttempt(db: Sql, t: Planned): Promise<void> {
  await db.begin(async (tx) => {
    await tx`
      insert into bench_raw_transfers
        (id, debit_account_id, credit_account_id, amount, currency, code, flags, created_at)
      values (${t.id}::uuid, ${t.debitAccountId}::uuid, ${t.creditAccountId}::uuid,
              ${t.amount.toString()}::int8, ${t.currency}, ${t.code}, 0, now())`;
    await tx`
      update bench_raw_accounts
      set debits_posted = debits_posted
            + case when id = ${t.debitAccountId}::uuid then ${t.amount.toString()}::int8 else 0 end,
          credits_posted = credits_posted
            + case when id = ${t.creditAccountId}::uuid then ${t.amount.toString()}::int8 else 0 end
      where id in (${t.debitAccountId}::uuid, ${t.creditAccountId}::uuid)`;
  });
}

/** The batched reference: COPY of the transfer rows, one set-based UPDATE of balances. */
async function rawBatch(db: Sql, batch: readonly Planned[]): Promise<void> {
  const rows = new BinaryRows();
  const nowMs = Date.now();
  for (const t of batch) {
    rows.row(8).uuid(t.id).uuid(t.debitAccountId).uuid(t.creditAccountId).int8(t.amount);
    rows.text(t.currency).int4(t.code).int4(0).timestamptz(nowMs);
  }
  const accounts = batch.flatMap((t) => [t.debitAccountId, t.creditAccountId]);
  const debits = batch.flatMap((t) => [t.amount.toString(), '0']);
  const credits = batch.flatMap((t) => ['0', t.amount.toString()]);
  await db.begin(async (tx) => {
    await copyIn(
      tx`copy bench_raw_transfers
           (id, debit_account_id, credit_account_id, amount, currency, code, flags, created_at)
         from stdin (format binary)`,
      binaryCopy([rows.take()]),
    );
    await tx`
      update bench_raw_accounts a
      set debits_posted = a.debits_posted + u.d, credits_posted = a.credits_posted + u.c
      from (select id, sum(d)::int8 as d, sum(c)::int8 as c
            from unnest(${accounts}::uuid[], ${debits}::int8[], ${credits}::int8[]) as x(id, d, c)
            group by id) u
      where a.id = u.id`;
  });
}

interface BatchFigures {
  size: number;
  transfers: number;
  kinko: number;
  raw: number;
  vsRaw: number;
  cpuUs: { node: number; postgres: number };
  rawCpuUs: { node: number; postgres: number };
}

async function batchScenario(ledger: Ledger, size: number, pick: Pick): Promise<BatchFigures> {
  const count = Math.max(1, Math.round(BATCH_TRANSFERS / size));
  // Both sides get the same batches, made before the clock starts.
  const batches = Array.from({ length: count }, () =>
    Array.from({ length: size }, () => transfer(pick)),
  );
  const timed = async (post: (b: Planned[]) => Promise<void>) => {
    const started = process.hrtime.bigint();
    for (const b of batches) await post(b);
    return (count * size) / (Number(process.hrtime.bigint() - started) / 1e9);
  };
  await pgCost.reset();
  cpu.read();
  // With BENCH_ONLY naming batch scenarios, BENCH_CPU_PROFILE profiles their Kinko side.
  const stopProfile = ONLY_BATCHES ? await startProfile() : async () => undefined;
  const kinko = await timed(async (b) => {
    const failed = (await ledger.createTransfers(b)).find((r) => r.result !== 'ok');
    if (failed) throw new Error(`transfer ${failed.index} failed: ${failed.result}`);
  });
  const used = cpu.read();
  await stopProfile();
  progress(`Kinko, batches of ${size}: ${round(kinko)}/s`);
  await pgCost.report(count * size, `transfer, Kinko, batches of ${size}`);
  await pgCost.reset();
  cpu.read();
  const raw = await timed((b) => rawBatch(sql, b));
  const rawUsed = cpu.read();
  await pgCost.report(count * size, `transfer, raw, batches of ${size}`);
  const us = (s: number) => Math.round((s / (count * size)) * 1e7) / 10;
  return {
    size,
    transfers: count * size,
    kinko: round(kinko),
    raw: round(raw),
    vsRaw: ratio(kinko, raw),
    cpuUs: { node: us(used.server), postgres: us(used.postgres) },
    rawCpuUs: { node: us(rawUsed.server), postgres: us(rawUsed.postgres) },
  };
}

/**
 * `ledger check` and `audit verify` after the run; either failing fails the benchmark. They
 * read every row, so they get a pool without the serving statement timeout.
 */
async function finalChecks() {
  const long = connect(pg.url, { connectionsMax: 2, statementTimeoutMs: 0 });
  try {
    const audit = createAudit({ clock: systemClock, sql: long, log });
    return await checked(createLedger({ sql: long, clock: systemClock, audit, limits }), audit);
  } finally {
    await long.end({ timeout: 5 });
  }
}

async function checked(ledger: Ledger, audit: ReturnType<typeof createAudit>) {
  const checked = await ledger.check();
  if (!checked.ok)
    throw new Error(`ledger check failed after the benchmark: ${checked.discrepancy}`);
  const verified = await audit.verify();
  if (!verified.ok) {
    throw new Error(
      `audit verify failed after the benchmark at ${verified.seq}: ${verified.problem}`,
    );
  }
  return { ledgerTransfers: checked.transfers, auditEntries: Number(verified.entries) };
}

function report(
  one: Awaited<ReturnType<typeof oneTransferScenarios>> | null,
  batches: Record<string, BatchFigures>,
  checks: Awaited<ReturnType<typeof checked>>,
) {
  const pct = (x: number) => `${Math.round(x * 100)} %`;
  const out = process.stdout;
  if (one) {
    out.write(
      `one transfer per transaction: 1 caller ${one.kinko1}/s, ${one.callers} callers ` +
        `${one.kinkoN}/s (${one.callersRatio}×, target ≥ ${TARGET.callersRatio}×; raw ` +
        `PostgreSQL's own ${one.callers}-vs-1 ratio in this run ${one.rawCallersRatio}×, the ` +
        `bound ${os.cpus().length} cores set); raw PostgreSQL ` +
        `${one.callers} callers ${one.rawN}/s, 1 caller ${one.raw1}/s; ` +
        `Kinko ${pct(one.vsRaw)} of raw (target ≥ ${pct(TARGET.oneVsRaw)}); CPU per transaction ` +
        `at ${one.callers} callers: Kinko node ${one.cpuUs.kinko.node} µs + PostgreSQL ` +
        `${one.cpuUs.kinko.postgres} µs, raw node ${one.cpuUs.raw.node} µs + PostgreSQL ` +
        `${one.cpuUs.raw.postgres} µs\n`,
    );
  }
  for (const [name, b] of Object.entries(batches)) {
    out.write(
      `batch ${name}: Kinko ${b.kinko}/s, raw ${b.raw}/s, ${pct(b.vsRaw)} ` +
        `(target ≥ ${pct(TARGET.batchVsRaw)}); CPU per transfer node ${b.cpuUs.node} µs + ` +
        `PostgreSQL ${b.cpuUs.postgres} µs, raw node ${b.rawCpuUs.node} µs + PostgreSQL ` +
        `${b.rawCpuUs.postgres} µs\n`,
    );
  }
  out.write(`checks: ledger check ok, audit verify ok (${checks.auditEntries} entries)\n`);
  const load = os.loadavg().map((x) => Math.round(x * 100) / 100);
  const figures = { bench: 'ledger', loadavg: load, cpus: os.cpus().length, one, batches };
  out.write(`${JSON.stringify({ ...figures, targets: TARGET, checks })}\n`);
}

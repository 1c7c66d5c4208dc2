import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { startEmbeddedPostgres } from '../src/db/index.ts';
import type { Platform } from '../src/main.ts';
import { capturedLogger } from './helpers/log.ts';
import { startOnOwnDatabase, type OwnDatabasePlatform } from './helpers/own-database.ts';

// The database goes away under a running server, under load, and comes back. While it is
// gone every request answers 503 database_unavailable at once (no hang, no 500); once it is
// back the server serves again within seconds, by itself; no payment the server acknowledged
// is lost. A frozen database (SIGSTOP) gets the same bounded answer from /readyz.
//
// Before the fix: a connect refused as many times as the pool size left every later query
// waiting for ever, /readyz silent even after PostgreSQL was back.

const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'kinko-outage-'));
const keysDir = fs.mkdtempSync(path.join(os.tmpdir(), 'kinko-outage-keys-'));
const logs = capturedLogger('warn');
let own: OwnDatabasePlatform;
let port = 0;
let platform: Platform;
let base = '';
let secretKey = '';
let cardToken = '';

before(async () => {
  own = await startOnOwnDatabase({
    dataDir,
    keysDir,
    shop: 'Outage Shop',
    log: logs.log,
    statementTimeoutMs: 2000,
  });
  ({ port, platform, secretKey, cardToken } = own);
  base = platform.url;
});

after(async () => {
  await own?.stop();
  fs.rmSync(dataDir, { recursive: true, force: true });
  fs.rmSync(keysDir, { recursive: true, force: true });
});

interface Answer {
  status: number;
  code: string | undefined;
  ms: number;
  at: number;
}

let keyCounter = 0;

interface Reply extends Answer {
  json: { id?: string; status?: string; error?: { code: string } };
}

async function call(method: string, url: string, body?: object): Promise<Reply> {
  const started = performance.now();
  const res = await fetch(`${base}${url}`, {
    method,
    headers: {
      authorization: `Bearer ${secretKey}`,
      ...(body ? { 'content-type': 'application/json' } : {}),
      ...(method === 'POST' ? { 'idempotency-key': `outage-${++keyCounter}` } : {}),
    },
    body: body ? JSON.stringify(body) : undefined,
    signal: AbortSignal.timeout(20_000),
  });
  const json = (await res.json()) as Reply['json'];
  const ms = performance.now() - started;
  return { status: res.status, code: json.error?.code, ms, at: performance.now(), json };
}

/** One shopper paying again and again until told to stop: create, then confirm. */
async function shopper(stop: { now: boolean }, answers: Answer[], paid: string[]) {
  for (let i = 0; i < 5000 && !stop.now; i++) {
    try {
      const created = await call('POST', '/v1/payments', {
        amount: 100 + i,
        currency: 'JPY',
        payment_method: cardToken,
      });
      answers.push(created);
      if (created.status !== 201) {
        await new Promise((r) => setTimeout(r, 50));
        continue;
      }
      const confirmed = await call('POST', `/v1/payments/${String(created.json.id)}/confirm`, {});
      answers.push(confirmed);
      if (confirmed.status < 300 && confirmed.json.status === 'succeeded') {
        paid.push(String(created.json.id));
      }
    } catch (e) {
      answers.push({ status: 0, code: String(e), ms: 0, at: performance.now() });
    }
  }
}

/** The postmaster and its children (each backend leads its own process group). */
function serverPids(): number[] {
  const pidFile = path.join(dataDir, 'pg', 'postmaster.pid');
  const postmaster = Number(fs.readFileSync(pidFile, 'utf8').split('\n')[0]);
  const children = fs
    .readdirSync('/proc')
    .filter((d) => /^\d+$/.test(d))
    .filter((d) => {
      try {
        const stat = fs.readFileSync(`/proc/${d}/stat`, 'utf8');
        return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]) === postmaster;
      } catch {
        return false;
      }
    })
    .map(Number);
  return [postmaster, ...children];
}

async function health(): Promise<Answer> {
  const started = performance.now();
  const res = await fetch(`${base}/readyz`, { signal: AbortSignal.timeout(20_000) });
  const json = (await res.json()) as { status: string };
  return { status: res.status, code: json.status, ms: performance.now() - started, at: 0 };
}

async function untilHealthy(deadlineMs: number): Promise<number> {
  const started = performance.now();
  while (performance.now() - started < deadlineMs) {
    if ((await health()).status === 200) return performance.now() - started;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`not healthy within ${deadlineMs} ms`);
}

test('database stopped and restarted under load: 503s during, service after, nothing lost', async () => {
  const stop = { now: false };
  const answers: Answer[] = [];
  const paid: string[] = [];
  const load = Promise.all([0, 1, 2].map(() => shopper(stop, answers, paid)));
  let figures: string;
  try {
    figures = await outageUnderLoad(answers, paid);
  } finally {
    stop.now = true;
    await load;
  }
  assert.ok(!answers.some((a) => a.code === 'internal_error'), 'no 500 internal_error');

  // Every payment the server acknowledged as succeeded is there, succeeded, and posted.
  const rows = await platform.db.sql<{ id: string; status: string }[]>`
    select id, status from checkout_payments where id = any(${paid})`;
  assert.equal(rows.length, paid.length);
  assert.ok(rows.every((r) => r.status === 'succeeded'));
  const ledger = await platform.modules.ledger.check();
  assert.ok(ledger.ok, ledger.ok ? '' : ledger.discrepancy);
  const audit = await platform.modules.audit.verify();
  assert.ok(audit.ok, audit.ok ? '' : audit.problem);
  process.stderr.write(`${figures}, ${paid.length} acknowledged payments all kept\n`);
});

async function waitFor(what: string, ms: number, done: () => boolean): Promise<void> {
  const started = performance.now();
  while (!done()) {
    assert.ok(performance.now() - started < ms, `${what} within ${ms} ms`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

async function outageUnderLoad(answers: Answer[], paid: string[]): Promise<string> {
  await waitFor('payments before the outage', 30_000, () => paid.length >= 10);
  const down = performance.now();
  await own.pg.stop();
  const downAt = performance.now();
  // Longer than the pool needs to refuse as many connects as it has connections.
  await new Promise((r) => setTimeout(r, 3000));
  const healthDuring = await health();
  assert.equal(healthDuring.status, 503);
  assert.equal(healthDuring.code, 'database_unavailable');
  assert.ok(healthDuring.ms < 2500, `health answered fast: ${healthDuring.ms.toFixed(0)} ms`);
  const during = answers.filter((a) => a.at > downAt + 500);
  assert.ok(
    during.length > 10,
    `requests kept being answered during the outage (${during.length})`,
  );
  for (const a of during) {
    assert.equal(a.status, 503, JSON.stringify(a));
    assert.equal(a.code, 'database_unavailable');
    assert.ok(a.ms < 1000, `answered fast during the outage: ${a.ms.toFixed(0)} ms`);
  }
  const slowest = Math.max(...during.map((a) => a.ms));

  own.pg = await startEmbeddedPostgres({ dataDir, port, log: logs.log });
  const upAt = performance.now();
  const recoveredMs = await untilHealthy(10_000);
  const paidBefore = paid.length;
  await waitFor('payments after the outage', 10_000, () => paid.length >= paidBefore + 10);
  const after = answers.filter((a) => a.at > upAt + recoveredMs + 1000);
  const failed = after.find((a) => a.status >= 300);
  assert.equal(failed, undefined, 'every request succeeds once the database is back');
  return (
    `database down ${((upAt - down) / 1000).toFixed(1)} s: ${during.length} answers 503 ` +
    `(slowest ${slowest.toFixed(0)} ms); healthy ${recoveredMs.toFixed(0)} ms after restart`
  );
}

test('a frozen database (SIGSTOP) gets a bounded 503 from /readyz, then recovers', async () => {
  await untilHealthy(5000);
  const pids = serverPids();
  for (const pid of pids) process.kill(pid, 'SIGSTOP');
  try {
    await new Promise((r) => setTimeout(r, 200));
    const frozen = await health();
    assert.equal(frozen.status, 503);
    assert.equal(frozen.code, 'database_unavailable');
    assert.ok(frozen.ms < 3000, `bounded: ${frozen.ms.toFixed(0)} ms`);
    const request = await call('GET', '/v1/payments');
    assert.equal(request.status, 503, JSON.stringify(request.json));
    assert.equal(request.code, 'database_unavailable');
    // Each statement the request sends is cut by the silence bound (2 s statement timeout +
    // 5 s grace); the request took two such waits (14-15.4 s, the second on a loaded
    // machine), so the bound is two of them plus slack: never a frozen socket's endless wait.
    assert.ok(request.ms < 20_000, `bounded: ${request.ms.toFixed(0)} ms`);
  } finally {
    for (const pid of pids) process.kill(pid, 'SIGCONT');
  }
  const recoveredMs = await untilHealthy(10_000);
  const list = await call('GET', '/v1/payments');
  assert.equal(list.status, 200);
  process.stderr.write(`frozen: healthy ${recoveredMs.toFixed(0)} ms after SIGCONT\n`);
});

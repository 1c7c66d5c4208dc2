import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { loadConfig } from '../src/config.ts';
import { isDatabaseUnavailable, startEmbeddedPostgres } from '../src/db/index.ts';
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
//
// Time bounds hold on a loaded machine (CI runs every file at once) without going soft: a
// bound is on the time this process could have run, the wall time less what a 10 ms ticker
// in the same event loop saw it stalled (CPU starvation, or its own work). What the bounds
// exist to catch, a wait for a timeout or for ever, is idle time, which no stall explains.
// Nothing here waits without a bound, the database is started again whatever failed, and
// the platform's stop is bounded too, so a failure is reported and never hangs the run.

let dataDir = '';
let keysDir = '';
const logs = capturedLogger('warn');
let own: OwnDatabasePlatform;
let port = 0;
let platform: Platform;
let base = '';
let secretKey = '';
let cardToken = '';
let databaseDown = false;
/** /readyz's own bound on its database query. */
let healthTimeoutMs = 0;

/** An answer during an outage comes within this much of the process's own time. */
const OUTAGE_ANSWER_MS_MAX = 1000;
/** The platform's stop (the HTTP server's in-flight requests, background jobs, the pool). */
const STOP_MS_MAX = 60_000;

/**
 * How long the event loop could not run on time: a ticker every TICK_MS adds up how late it
 * fires. `total()` includes the lateness of a tick still due, so a reading is current.
 */
const TICK_MS = 10;
const stalls = (() => {
  let last = performance.now();
  let total = 0;
  const timer = setInterval(() => {
    const now = performance.now();
    total += Math.max(0, now - last - TICK_MS);
    last = now;
  }, TICK_MS);
  timer.unref();
  return {
    total: () => total + Math.max(0, performance.now() - last - TICK_MS),
    stop: () => clearInterval(timer),
  };
})();

/** Milliseconds since `from` (performance.now()) less the stalls since `stalledAtFrom`. */
function ownMs(from: number, stalledAtFrom: number): number {
  return performance.now() - from - (stalls.total() - stalledAtFrom);
}

/** Settles as p settles, or fails after ms of wall time. */
async function within<T>(ms: number, what: string, p: Promise<T>): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what}: not within ${ms} ms`)), ms);
  });
  try {
    return await Promise.race([p, late]);
  } finally {
    clearTimeout(timer);
  }
}

/**
 * The pool's statement timeout, short so that a frozen database is given up on soon: the
 * pool drops a connection silent for it plus 5 s (SILENCE_GRACE_MS, src/db/index.ts). 2 s
 * (4 s idle in a transaction) cut starved set-up steps at load 15 in 2 runs of 3.
 */
const STATEMENT_TIMEOUT_MS = 5000;
const SILENCE_MS = STATEMENT_TIMEOUT_MS + 5000;

/** Set-up attempts: on a loaded machine it can meet the short timeouts set here for the test. */
const SETUP_ATTEMPTS_MAX = 3;

before(async () => {
  for (let attempt = 1; ; attempt++) {
    dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'kinko-outage-'));
    keysDir = fs.mkdtempSync(path.join(os.tmpdir(), 'kinko-outage-keys-'));
    try {
      own = await startOnOwnDatabase({
        dataDir,
        keysDir,
        shop: 'Outage Shop',
        log: logs.log,
        statementTimeoutMs: STATEMENT_TIMEOUT_MS,
      });
      break;
    } catch (error) {
      // The short statement timeout (and the idle-in-transaction one it implies) is for the
      // frozen database; a starved set-up step can meet it and is then run again, afresh.
      fs.rmSync(dataDir, { recursive: true, force: true });
      fs.rmSync(keysDir, { recursive: true, force: true });
      if (!isDatabaseUnavailable(error) || attempt >= SETUP_ATTEMPTS_MAX) throw error;
      process.stderr.write(`outage set-up attempt ${attempt} failed, again: ${String(error)}\n`);
    }
  }
  ({ port, platform, secretKey, cardToken } = own);
  base = platform.url;
  healthTimeoutMs = loadConfig(own.env).limits.healthDatabaseTimeoutMs;
});

after(async () => {
  stalls.stop();
  try {
    await within(STOP_MS_MAX, 'the platform stops', own?.stop() ?? Promise.resolve());
  } catch (error) {
    // Something the stop waits for never ended (a request, a job): reported as a failure,
    // and the process, which it would keep alive for good, ends once the report is out.
    setTimeout(() => process.exit(1), 5000).unref();
    platform?.app.server.closeAllConnections();
    await within(5000, 'the database stops', own?.pg.stop() ?? Promise.resolve()).catch(() => {});
    throw error;
  } finally {
    if (dataDir) fs.rmSync(dataDir, { recursive: true, force: true });
    if (keysDir) fs.rmSync(keysDir, { recursive: true, force: true });
  }
});

interface Answer {
  status: number;
  code: string | undefined;
  ms: number;
  /** Of ms, how long the event loop was stalled: ms - stalled is the process's own time. */
  stalled: number;
  at: number;
}

function timing(a: Answer): string {
  return `${(a.ms - a.stalled).toFixed(0)} ms own time (${a.ms.toFixed(0)} ms wall)`;
}

let keyCounter = 0;

interface Reply extends Answer {
  json: { id?: string; status?: string; error?: { code: string } };
}

async function call(method: string, url: string, body?: object): Promise<Reply> {
  const started = performance.now();
  const stalledAtStart = stalls.total();
  const res = await fetch(`${base}${url}`, {
    method,
    headers: {
      authorization: `Bearer ${secretKey}`,
      ...(body ? { 'content-type': 'application/json' } : {}),
      ...(method === 'POST' ? { 'idempotency-key': `outage-${++keyCounter}` } : {}),
    },
    body: body ? JSON.stringify(body) : undefined,
    signal: AbortSignal.timeout(40_000),
  });
  const json = (await res.json()) as Reply['json'];
  const ms = performance.now() - started;
  const stalled = stalls.total() - stalledAtStart;
  return { status: res.status, code: json.error?.code, ms, stalled, at: performance.now(), json };
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
      answers.push({ status: 0, code: String(e), ms: 0, stalled: 0, at: performance.now() });
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
  const stalledAtStart = stalls.total();
  const res = await fetch(`${base}/readyz`, { signal: AbortSignal.timeout(20_000) });
  const json = (await res.json()) as { status: string };
  const ms = performance.now() - started;
  return {
    status: res.status,
    code: json.status,
    ms,
    stalled: stalls.total() - stalledAtStart,
    at: 0,
  };
}

/** Waits for /readyz to answer 200; returns the process's own time it took. */
async function untilHealthy(ownMsMax: number): Promise<number> {
  const started = performance.now();
  const stalledAtStart = stalls.total();
  while (ownMs(started, stalledAtStart) < ownMsMax) {
    if ((await health()).status === 200) return ownMs(started, stalledAtStart);
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`not healthy within ${ownMsMax} ms of own time`);
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
    // Whatever failed, the next test finds the database running.
    if (databaseDown) await restartDatabase();
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

async function restartDatabase(): Promise<void> {
  own.pg = await startEmbeddedPostgres({ dataDir, port, log: logs.log });
  databaseDown = false;
}

/** Waits until done() holds, at most ownMsMax of the process's own time. */
async function waitFor(what: string, ownMsMax: number, done: () => boolean): Promise<void> {
  const started = performance.now();
  const stalledAtStart = stalls.total();
  while (!done()) {
    assert.ok(ownMs(started, stalledAtStart) < ownMsMax, `${what} within ${ownMsMax} ms`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

async function outageUnderLoad(answers: Answer[], paid: string[]): Promise<string> {
  await waitFor('payments before the outage', 30_000, () => paid.length >= 10);
  const down = performance.now();
  databaseDown = true;
  await own.pg.stop();
  const downAt = performance.now();
  // Longer than the pool needs to refuse as many connects as it has connections.
  await new Promise((r) => setTimeout(r, 3000));
  const healthDuring = await health();
  assert.equal(healthDuring.status, 503);
  assert.equal(healthDuring.code, 'database_unavailable');
  // /readyz's query is cut at its own bound; the answer follows within half a second.
  assert.ok(
    healthDuring.ms - healthDuring.stalled < healthTimeoutMs + 500,
    `health answered within its ${healthTimeoutMs} ms bound: ${timing(healthDuring)}`,
  );
  const isDuring = (a: Answer) => a.at > downAt + 500;
  await waitFor(
    'requests answered during the outage',
    10_000,
    () => answers.filter(isDuring).length > 10,
  );
  const during = answers.filter(isDuring);
  for (const a of during) {
    assert.equal(a.status, 503, JSON.stringify(a));
    assert.equal(a.code, 'database_unavailable');
    assert.ok(
      a.ms - a.stalled < OUTAGE_ANSWER_MS_MAX,
      `answered fast during the outage: ${timing(a)}`,
    );
  }
  const slowest = during.reduce((s, a) => (a.ms - a.stalled > s.ms - s.stalled ? a : s));

  await restartDatabase();
  const upAt = performance.now();
  const recoveredMs = await untilHealthy(10_000);
  const paidBefore = paid.length;
  await waitFor('payments after the outage', 10_000, () => paid.length >= paidBefore + 10);
  const after = answers.filter((a) => a.at > upAt + recoveredMs + 1000);
  const failed = after.find((a) => a.status >= 300);
  assert.equal(failed, undefined, 'every request succeeds once the database is back');
  return (
    `database down ${((upAt - down) / 1000).toFixed(1)} s: ${during.length} answers 503 ` +
    `(slowest ${timing(slowest)}); healthy ${recoveredMs.toFixed(0)} ms of own time after ` +
    `restart`
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
    assert.ok(
      frozen.ms - frozen.stalled < healthTimeoutMs + 1000,
      `bounded by /readyz's ${healthTimeoutMs} ms: ${timing(frozen)}`,
    );
    const request = await call('GET', '/v1/payments');
    assert.equal(request.status, 503, JSON.stringify(request.json));
    assert.equal(request.code, 'database_unavailable');
    // Each statement the request sends is cut by the silence bound; the request takes two
    // such waits (its key's lookup, then the list), so the bound is two of them plus slack:
    // never a frozen socket's endless wait.
    const boundMs = 2 * SILENCE_MS + 6000;
    assert.ok(request.ms - request.stalled < boundMs, `within ${boundMs} ms: ${timing(request)}`);
  } finally {
    for (const pid of pids) process.kill(pid, 'SIGCONT');
  }
  const recoveredMs = await untilHealthy(10_000);
  const list = await call('GET', '/v1/payments');
  assert.equal(list.status, 200);
  process.stderr.write(`frozen: healthy ${recoveredMs.toFixed(0)} ms of own time after SIGCONT\n`);
});

import { test } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import postgres from 'postgres';
import { adminUrl, createTestDb } from '../../test/helpers/db.ts';
import { beginWith, connect, isDatabaseUnavailable, type Sql } from './index.ts';

// A database that stops drops its connections wherever they are, new ones half-way through
// their start-up included. Through a proxy that cuts a connection right after the server's
// n-th message, at every kind of step of its life (authentication, parameters, ready, the
// driver's own fetch of the array types, the first answer), and both ways a connection ends
// (the socket just closes, or PostgreSQL's shutdown FATAL 57P01 comes first), this holds:
// the statement waiting for the connection is answered or fails as database-unavailable
// within a bound; the pool's next statement is answered; nothing is rejected without a
// handler (which in production ends the process). For a plain statement and for a
// transaction on a reserved connection (beginWith), whose wait for a connection differs.
//
// Before the repairs in scripts/patch-postgres.mjs: a cut during the fetch of the array
// types raised an unhandled CONNECTION_CLOSED (or 57P01), and a reserved connection cut
// there was never handed out, so beginWith waited for ever; after a cut with a statement in
// flight, the first statement on the reconnected connection failed with the old 57P01.

type Ending = 'close' | 'shutdown';

/** PostgreSQL's message to its clients on a fast shutdown: FATAL 57P01. */
function shutdownMessage(): Buffer {
  const fields = Buffer.from(
    'SFATAL\0VFATAL\0C57P01\0Mterminating connection due to administrator command\0\0',
  );
  const head = Buffer.alloc(5);
  head.write('E');
  head.writeUInt32BE(4 + fields.length, 1);
  return Buffer.concat([head, fields]);
}

/** A proxy to PostgreSQL that ends its first connection after the server's n-th message. */
async function cuttingProxy(upstreamPort: number, cutAfter: number, ending: Ending) {
  const types: string[] = [];
  let connections = 0;
  let cut = false;
  const server = net.createServer((client) => {
    const first = connections++ === 0;
    const upstream = net.connect(upstreamPort, '127.0.0.1');
    client.on('error', () => upstream.destroy());
    upstream.on('error', () => client.destroy());
    client.on('close', () => upstream.destroy());
    upstream.on('close', () => client.destroy());
    client.pipe(upstream);
    let pending = Buffer.alloc(0);
    upstream.on('data', (data: Buffer) => {
      if (!first) return void client.write(data);
      if (cut) return;
      pending = Buffer.concat([pending, data]);
      // Whole messages, one at a time: a type byte, then a length that counts itself.
      while (!cut && pending.length >= 5 && pending.length >= 1 + pending.readUInt32BE(1)) {
        const size = 1 + pending.readUInt32BE(1);
        types.push(String.fromCharCode(pending[0]!));
        client.write(pending.subarray(0, size));
        pending = pending.subarray(size);
        if (types.length === cutAfter) {
          cut = true;
          if (ending === 'shutdown') client.write(shutdownMessage());
          client.end();
          upstream.destroy();
        }
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    port: (server.address() as net.AddressInfo).port,
    /** The types of the first connection's server messages, as far as they were forwarded. */
    types,
    wasCut: () => cut,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

function via(url: string, port: number): string {
  const u = new URL(url);
  u.hostname = '127.0.0.1';
  u.port = String(port);
  return u.toString();
}

/** Settles as p settles, or fails after ms: a wait without end is a failure too. */
async function within<T>(ms: number, what: string, p: Promise<T>): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what}: no answer within ${ms} ms`)), ms);
  });
  try {
    return await Promise.race([p, late]);
  } finally {
    clearTimeout(timer);
  }
}

type Kind = 'statement' | 'beginWith';

/** A plain statement, or a transaction on a reserved connection. */
function first(sql: Sql, kind: Kind): Promise<unknown> {
  return kind === 'statement'
    ? sql`select 1 as one`
    : beginWith(sql, 'select 1 as one', async (tx, opened) => {
        await opened;
        return tx`select 2 as two`;
      });
}

/** The first statement through the cut, then the pool's next. */
async function throughCut(sql: Sql, kind: Kind, label: string): Promise<void> {
  const run = first(sql, kind);
  const outcome = await within(
    10_000,
    label,
    run.then(
      () => null,
      (e: unknown) => e,
    ),
  );
  if (outcome !== null) assert.ok(isDatabaseUnavailable(outcome), `${label}: ${outcome}`);
  const next = await within(
    10_000,
    `${label}, next`,
    sql<{ n: number }[]>`select 3 as n`.then(
      (rows) => rows[0]?.n,
      (e: unknown) => e,
    ),
  );
  assert.equal(next, 3, `${label}: the next statement is answered`);
}

/**
 * The server's messages on one uncut connection that runs `kind`, as cut points: the first
 * and the last of each run of one type (so every kind of step is cut, not each data row),
 * up to the first statement's last message but not after it: a cut after its answer
 * races the next statement, which may then fail, rightly.
 */
async function stepsOf(upstreamPort: number, url: string, kind: Kind) {
  const probe = await cuttingProxy(upstreamPort, Number.POSITIVE_INFINITY, 'close');
  const sql = connect(via(url, probe.port), { connectionsMax: 1 });
  try {
    await first(sql, kind);
  } finally {
    await sql.end({ timeout: 1 });
    await probe.close();
  }
  assert.ok(probe.types.includes('Z'), `messages seen: ${probe.types.join('')}`);
  return probe.types
    .map((type, i) => ({ type, n: i + 1 }))
    .filter((s, i, all) => all[i - 1]?.type !== s.type || all[i + 1]?.type !== s.type)
    .slice(0, -1);
}

test('a connection lost at any step fails its statement, never the process', async (t) => {
  const db = await createTestDb({ migrate: false });
  t.after(() => db.close());
  const upstreamPort = Number(new URL(db.url).port);
  const unhandled: unknown[] = [];
  const onUnhandled = (e: unknown) => void unhandled.push(e);
  process.on('unhandledRejection', onUnhandled);
  t.after(() => void process.off('unhandledRejection', onUnhandled));

  for (const kind of ['statement', 'beginWith'] as const) {
    const steps = await stepsOf(upstreamPort, db.url, kind);
    for (const ending of ['close', 'shutdown'] as const) {
      for (const step of steps) {
        const label = `${kind}, ${ending} after message ${step.n} (${step.type})`;
        const proxy = await cuttingProxy(upstreamPort, step.n, ending);
        const sql = connect(via(db.url, proxy.port), { connectionsMax: 1 });
        try {
          await throughCut(sql, kind, label);
        } finally {
          await sql.end({ timeout: 1 });
          await proxy.close();
        }
        // A rejection nobody handles is reported once the microtasks have run.
        await new Promise((resolve) => setTimeout(resolve, 10));
        assert.ok(proxy.wasCut(), `${label}: the proxy cut`);
        assert.deepEqual(
          unhandled.map((e) => `${(e as { code?: string }).code ?? ''} ${String(e)}`),
          [],
          `${label}: no unhandled rejection`,
        );
      }
    }
  }
});

test('a transaction whose connection died sends nothing to its next life', async (t) => {
  // beginWith's connection dies between two statements while another statement waits for
  // the pool's one connection. What the transaction sends after that (its next statement,
  // its ROLLBACK) must fail, not reach the connection the pool opens again for the waiting
  // statement: there it failed that statement, or ran in its session, outside any
  // transaction, and committed alone.
  const db = await createTestDb({ migrate: false });
  t.after(() => db.close());
  const admin = postgres(adminUrl(), { max: 1, onnotice: () => {} });
  t.after(() => admin.end());
  const sql = connect(db.url, { connectionsMax: 1 });
  t.after(() => sql.end({ timeout: 1 }));
  let waiting: Promise<unknown> | undefined;
  let after: unknown;
  const failed = beginWith(sql, 'select pg_backend_pid() as pid', async (tx, opened) => {
    const [row] = (await opened) as { pid: number }[];
    waiting = sql`select 2 as two`.then((rows) => [...rows]);
    await admin`select pg_terminate_backend(${row!.pid})`;
    // Long enough for the close to arrive and the pool to start connecting again.
    await new Promise((resolve) => setTimeout(resolve, 100));
    after = await tx`select 1 as one`.then(
      (rows) => [...rows],
      (e: unknown) => e,
    );
    throw new Error('the transaction ends here');
  });
  await assert.rejects(within(10_000, 'beginWith', failed), /the transaction ends here/);
  assert.ok(
    isDatabaseUnavailable(after),
    `the statement after the death fails: ${JSON.stringify(after) ?? String(after)}`,
  );
  assert.deepEqual(await within(10_000, 'the waiting statement', waiting!), [{ two: 2 }]);
});

import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import postgres from 'postgres';
import { createTestDb } from './helpers/db.ts';

// `npm start` as a user runs it: a real process on a real embedded PostgreSQL, health
// checked over HTTP, stopped with SIGINT (Ctrl-C), started again on the same data.

const root = path.resolve(path.dirname(new URL(import.meta.url).pathname), '..');

function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const s = net.createServer().listen(0, '127.0.0.1', () => {
      const a = s.address();
      s.close(() => resolve(typeof a === 'object' && a ? a.port : 0));
    });
  });
}

interface Running {
  child: ChildProcess;
  output: () => string;
  exited: Promise<number | null>;
}

const children = new Set<ChildProcess>();
// The vault's key file lives outside every data directory, as in production.
const keyDir = fs.mkdtempSync(path.join(os.tmpdir(), 'kinko-keys-'));
// A failed assertion must not leave a server running (it would hold the test run open).
after(() => {
  for (const child of children) if (child.exitCode === null) child.kill('SIGKILL');
  fs.rmSync(keyDir, { recursive: true, force: true });
});

function serve(env: Record<string, string>, command = 'serve'): Running {
  const child = spawn(process.execPath, ['bin/kinko.mjs', command], {
    cwd: root,
    env: {
      ...process.env,
      KINKO_ENV: 'development',
      LOG_LEVEL: 'warn',
      KINKO_KEK_FILE: path.join(keyDir, 'vault-keys.json'),
      ...env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  children.add(child);
  let out = '';
  child.stdout?.on('data', (c: Buffer) => (out += c.toString()));
  child.stderr?.on('data', (c: Buffer) => (out += c.toString()));
  const exited = new Promise<number | null>((r) => child.on('exit', (code) => r(code)));
  return { child, output: () => out, exited };
}

async function healthy(port: number, running: Running): Promise<void> {
  for (let i = 0; i < 300; i++) {
    if (running.child.exitCode !== null) throw new Error(`exited early:\n${running.output()}`);
    try {
      const res = await fetch(`http://127.0.0.1:${port}/healthz`);
      if (res.status === 200) {
        assert.deepEqual(await res.json(), { status: 'ok' });
        return;
      }
    } catch {
      // Not listening yet.
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`never became healthy:\n${running.output()}`);
}

test('start, serve, stop on Ctrl-C, and start again with the data intact', async (t) => {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'kinko-start-'));
  t.after(() => fs.rmSync(dataDir, { recursive: true, force: true }));
  const env = {
    KINKO_DATA_DIR: dataDir,
    PORT: String(await freePort()),
    KINKO_PG_PORT: String(await freePort()),
  };
  const port = Number(env.PORT);

  const first = serve(env);
  await healthy(port, first);
  assert.match(first.output(), new RegExp(`http://localhost:${port}/healthz`));
  assert.match(first.output(), /openapi\.json/);
  const secret = fs.readFileSync(path.join(dataDir, 'pg.secret'), 'utf8').trim();
  const url = `postgres://kinko:${encodeURIComponent(secret)}@127.0.0.1:${env.KINKO_PG_PORT}/kinko`;
  const sql = postgres(url, { max: 1, onnotice: () => {} });
  await sql`create table start_stop_marker (note text)`;
  await sql`insert into start_stop_marker values ('kept')`;
  await sql.end();

  first.child.kill('SIGINT');
  assert.equal(await first.exited, 0, first.output());
  assert.match(first.output(), /stopping the HTTP server, then the database/);
  assert.match(first.output(), /stopped\./);
  assert.ok(!fs.existsSync(path.join(dataDir, 'pg', 'postmaster.pid')), 'PostgreSQL stopped too');

  const second = serve(env);
  await healthy(port, second);
  const again = postgres(url, { max: 1, onnotice: () => {} });
  const rows = await again`select note from start_stop_marker`;
  await again.end();
  assert.deepEqual(
    rows.map((r) => r['note']),
    ['kept'],
  );
  second.child.kill('SIGTERM');
  assert.equal(await second.exited, 0, second.output());
  assert.ok(!fs.existsSync(path.join(dataDir, 'pg', 'postmaster.pid')), 'SIGTERM stopped it too');
});

function postmasterPid(dataDir: string): number {
  return Number(fs.readFileSync(path.join(dataDir, 'pg', 'postmaster.pid'), 'utf8').split('\n')[0]);
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

test('after kill -9 of Kinko, the next start stops the orphaned database and serves', async (t) => {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'kinko-orphan-'));
  t.after(() => fs.rmSync(dataDir, { recursive: true, force: true }));
  const env = {
    KINKO_DATA_DIR: dataDir,
    PORT: String(await freePort()),
    KINKO_PG_PORT: String(await freePort()),
  };
  const port = Number(env.PORT);
  const first = serve(env);
  await healthy(port, first);
  const orphan = postmasterPid(dataDir);
  t.after(() => {
    if (alive(orphan)) process.kill(orphan, 'SIGINT');
  });
  first.child.kill('SIGKILL');
  await first.exited;
  assert.ok(alive(orphan), 'the embedded server outlived its Kinko (the orphan to clean up)');

  const second = serve(env);
  await healthy(port, second);
  assert.ok(!alive(orphan), 'the orphaned server was stopped');
  assert.notEqual(postmasterPid(dataDir), orphan);
  assert.match(second.output(), /left running by a Kinko that died/);
  // A third Kinko on the same data directory, while the second is alive, is refused.
  const port2 = String(await freePort());
  const intruder = serve({ ...env, PORT: port2 });
  assert.equal(await intruder.exited, 1, intruder.output());
  assert.match(intruder.output(), /already running \(pid \d+, started by Kinko pid \d+\)/);
  await healthy(port, second);

  const serverPid = postmasterPid(dataDir);
  second.child.kill('SIGTERM');
  assert.equal(await second.exited, 0, second.output());
  assert.ok(!alive(serverPid), 'a plain SIGTERM to kinko serve stops the database too');
  assert.ok(!fs.existsSync(path.join(dataDir, 'pg', 'postmaster.pid')));
});

test('with DATABASE_URL set, Kinko uses that server and starts none', async (t) => {
  const db = await createTestDb({ migrate: false });
  t.after(() => db.close());
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'kinko-ext-'));
  t.after(() => fs.rmSync(dataDir, { recursive: true, force: true }));
  const port = await freePort();
  const running = serve({
    DATABASE_URL: db.url,
    KINKO_MIGRATION_DATABASE_URL: db.ownerUrl,
    KINKO_DATA_DIR: dataDir,
    PORT: String(port),
  });
  await healthy(port, running);
  assert.ok(!fs.existsSync(path.join(dataDir, 'pg')), 'no embedded PostgreSQL was created');
  const [row] = await db.sql`select count(*)::int as n from kinko_migrations`;
  assert.ok(Number(row?.['n']) > 0, 'migrations ran on the given database');
  running.child.kill('SIGINT');
  assert.equal(await running.exited, 0, running.output());
});

test('an invalid setting stops start-up naming the setting', async () => {
  const running = serve({ PORT: 'eighty' });
  assert.equal(await running.exited, 2);
  assert.match(running.output(), /PORT/);
});

test('KINKO_BACKGROUND=off leaves the outbox to a `kinko work` process', async (t) => {
  const db = await createTestDb({ migrate: false });
  t.after(() => db.close());
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'kinko-work-'));
  t.after(() => fs.rmSync(dataDir, { recursive: true, force: true }));
  const port = await freePort();
  const env = {
    DATABASE_URL: db.url,
    KINKO_MIGRATION_DATABASE_URL: db.ownerUrl,
    KINKO_DATA_DIR: dataDir,
  };
  const server = serve({ ...env, PORT: String(port), KINKO_BACKGROUND: 'off' });
  await healthy(port, server);
  const message = { channel: 'email', to: 'work@example.com', subject: 'hello', text: 'from work' };
  await db.sql`
    insert into outbox_events (topic, payload, created_at, available_at)
    values ('notify.message', ${db.sql.json(message)}, now(), now())`;
  const mailbox = async () =>
    db.sql<{ subject: string }[]>`
      select subject from notify_dev_mailbox where address = 'work@example.com'`;
  await new Promise((r) => setTimeout(r, 1500));
  assert.equal((await mailbox()).length, 0, 'the server alone runs no background jobs');

  const worker = serve({ ...env, PORT: '0' }, 'work');
  let delivered: { subject: string }[] = [];
  for (let i = 0; i < 150 && delivered.length === 0; i++) {
    if (worker.child.exitCode !== null) throw new Error(`work exited:\n${worker.output()}`);
    await new Promise((r) => setTimeout(r, 100));
    delivered = await mailbox();
  }
  assert.deepEqual(
    delivered.map((m) => m.subject),
    ['hello'],
  );
  // The message is written, then its event completed (deleted) a moment later.
  let left = 1;
  for (let i = 0; i < 50 && left > 0; i++) {
    left = (await db.sql`select 1 from outbox_events`).length;
    if (left > 0) await new Promise((r) => setTimeout(r, 100));
  }
  assert.equal(left, 0, 'delivered, then deleted');
  worker.child.kill('SIGINT');
  assert.equal(await worker.exited, 0, worker.output());
  assert.match(worker.output(), /stopping the background jobs/);
  server.child.kill('SIGINT');
  assert.equal(await server.exited, 0, server.output());
});

import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import postgres from 'postgres';
import { createLogger } from '../lib/log.ts';
import { freePort } from '../../test/helpers/free-port.ts';
import { connect, isDatabaseUnavailable, socketAddress, startEmbeddedPostgres } from './index.ts';

// Kinko's pool reaches its embedded PostgreSQL through a Unix-domain socket in the data
// directory, open to the server's user only; TCP on 127.0.0.1 stays for other clients.

test('a host=/dir URL becomes the socket path; other URLs pass through', () => {
  const url = 'postgres://kinko_app:p%40ss@127.0.0.1:5544/kinko?host=%2Fdata%2Fpg-socket';
  assert.deepEqual(socketAddress(url), {
    url: 'postgres://kinko_app:p%40ss@127.0.0.1:5544/kinko',
    path: '/data/pg-socket/.s.PGSQL.5544',
  });
  const tcp = 'postgres://kinko_app:pw@db.internal:5432/kinko?sslmode=require';
  assert.deepEqual(socketAddress(tcp), { url: tcp });
  assert.deepEqual(socketAddress('not a url'), { url: 'not a url' });
});

test('a missing socket file is the database unavailable; other ENOENTs are not', () => {
  const connectError = Object.assign(new Error('connect ENOENT /d/.s.PGSQL.1'), {
    code: 'ENOENT',
    syscall: 'connect',
  });
  const fileError = Object.assign(new Error('no such file'), { code: 'ENOENT', syscall: 'open' });
  assert.equal(isDatabaseUnavailable(connectError), true);
  assert.equal(isDatabaseUnavailable(fileError), false);
});

test('the serving pool connects over the private socket; TCP still answers', async (t) => {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'kinko-socket-'));
  fs.chmodSync(root, 0o711);
  const dataDir = path.join(root, 'data');
  const pg = await startEmbeddedPostgres({
    dataDir,
    port: await freePort(),
    log: createLogger({ level: 'error' }),
  });
  const sql = connect(pg.url, { connectionsMax: 1 });
  t.after(async () => {
    await sql.end({ timeout: 1 });
    await pg.stop();
    fs.rmSync(root, { recursive: true, force: true });
  });
  const socketDir = path.join(dataDir, 'pg-socket');
  assert.equal(new URL(pg.url).searchParams.get('host'), socketDir);
  assert.equal(fs.statSync(socketDir).mode & 0o777, 0o700, 'only the server user enters');
  // inet_server_addr() is null for a connection over a Unix-domain socket.
  const [overSocket] = await sql<{ addr: string | null; user: string }[]>`
    select inet_server_addr()::text as addr, current_user as user`;
  assert.deepEqual(overSocket, { addr: null, user: 'kinko_app' });
  const tcp = postgres(socketAddress(pg.url).url, { max: 1, onnotice: () => {} });
  t.after(() => tcp.end({ timeout: 1 }));
  const [overTcp] = await tcp<{ addr: string }[]>`select inet_server_addr()::text as addr`;
  assert.equal(overTcp?.addr, '127.0.0.1/32');
  // The socket asks for the role's password like TCP does.
  const u = new URL(pg.url);
  u.password = 'wrong';
  const wrong = connect(u.toString(), { connectionsMax: 1 });
  t.after(() => wrong.end({ timeout: 1 }));
  await assert.rejects(wrong`select 1`, /password authentication failed/);
});

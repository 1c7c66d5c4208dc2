import net from 'node:net';
import postgres from 'postgres';
import type { Sql } from './sql.ts';

// The database layer: one postgres.js pool per process. `Sql` runs statements; `Tx` is the
// handle a transaction gives its callback, and every module's store takes a Tx so that a
// state change, its audit entry and its outbox event commit together.
//
// Glossary
// - Sql: a connection pool (postgres.js).
// - Tx: a transaction handle; anything written through it commits or rolls back as one.
// - owner role / serving role: migrations run as the schema's owner; the server runs as a
//   role that reads and writes rows only, never rewriting append-only tables (roles.ts).
// - database_unavailable: the answer when the server is out of reach or too slow; every wait
//   on it is bounded (connect, statement, silence) and the pool reconnects by itself.

export type { Db, Fragment, Sql, Tx } from './sql.ts';

export interface ConnectOptions {
  connectionsMax?: number;
  applicationName?: string;
  /**
   * PostgreSQL's statement_timeout for every statement of this pool; 0 turns it off (the
   * long CLI commands: backup, restore). The same bound, plus a grace, limits how long a
   * connection may wait for any answer, so a frozen server cannot hold a request for ever.
   */
  statementTimeoutMs?: number;
  /** A connection attempt (TCP and PostgreSQL's start-up) gives up after this long. */
  connectTimeoutSeconds?: number;
}

/** Defaults for the serving pool: a request never waits longer on the database. */
const DB_STATEMENT_TIMEOUT_MS_DEFAULT = 15_000;
const DB_CONNECT_TIMEOUT_SECONDS_DEFAULT = 5;
/** Added to the statement timeout before a silent connection is declared dead. */
const SILENCE_GRACE_MS = 5_000;

export function connect(url: string, options: ConnectOptions = {}): Sql {
  const statementTimeoutMs = options.statementTimeoutMs ?? DB_STATEMENT_TIMEOUT_MS_DEFAULT;
  const connectTimeoutSeconds = options.connectTimeoutSeconds ?? DB_CONNECT_TIMEOUT_SECONDS_DEFAULT;
  const silenceMs = statementTimeoutMs > 0 ? statementTimeoutMs + SILENCE_GRACE_MS : 0;
  const settings = {
    max: options.connectionsMax ?? 10,
    onnotice: () => {},
    // int8 columns hold money and counters: they come back as bigint, never as a lossy number.
    types: { bigint: postgres.BigInt },
    connection: {
      application_name: options.applicationName ?? 'kinko',
      // The server ends a statement (lock waits included) that runs too long, and a
      // transaction left idle by a crashed caller, instead of letting them hold locks.
      statement_timeout: statementTimeoutMs,
      idle_in_transaction_session_timeout: statementTimeoutMs > 0 ? statementTimeoutMs * 2 : 0,
    },
    connect_timeout: connectTimeoutSeconds,
    // An idle connection is closed by the pool before the silence bound would cut it.
    idle_timeout: silenceMs > 0 ? Math.max(1, Math.floor(silenceMs / 2000)) : 30,
    // After a failed connect a connection waits this many seconds before its next attempt.
    // postgres.js's own curve grows to 20 s, so service came back up to 20 s after the
    // database did, and a query waits out the delay before its connect is even tried; a cap
    // of 250 ms keeps recovery prompt and outage answers fast.
    backoff: reconnectDelaySeconds,
    // postgres.js supports a socket factory but its type definitions do not declare it.
    socket: noDelaySockets(connectTimeoutSeconds * 1000, silenceMs),
  };
  const { url: address, path } = socketAddress(url);
  return postgres(address, { ...settings, ...(path ? { path } : {}) } as Parameters<
    typeof postgres
  >[1]) as unknown as Sql;
}

/**
 * libpq's `host=/dir` query parameter (a Unix-domain socket directory, as the embedded
 * server's URLs carry) becomes the driver's socket path; postgres.js would otherwise send
 * the parameter to the server as a setting. Any other URL is passed through untouched.
 */
export function socketAddress(url: string): { url: string; path?: string } {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    return { url };
  }
  const dir = u.searchParams.get('host');
  if (!dir?.startsWith('/')) return { url };
  u.searchParams.delete('host');
  return { url: u.toString(), path: `${dir}/.s.PGSQL.${u.port || 5432}` };
}

/** 25 ms, doubling with each failed attempt in a row, at most a quarter of a second. */
function reconnectDelaySeconds(retries: number): number {
  return Math.min(0.025 * 2 ** retries, 0.25);
}

/**
 * Sockets with Nagle's algorithm off. postgres.js leaves it on, and a COPY or a pipelined
 * statement sent as two small writes then waits for the server's delayed ACK (~40 ms) before
 * the second leaves: a one-transfer ledger batch took ~180 ms instead of ~10 ms. Hosts of a
 * multi-host URL are tried in turn, as postgres.js itself does; TLS is layered on top by the
 * driver.
 *
 * The factory never rejects. postgres.js, given a rejected factory, fails the waiting query
 * but leaves the connection "connecting" for ever: once as many connects as the pool size had
 * been refused, every later query waited for good, even after the database came back. A
 * failed connect instead hands over a socket that fails the driver's first write with the
 * connect's own error, and postgres.js then frees the slot as for any dropped connection.
 * A connected socket silent for silenceMs is dropped: a frozen server still accepts TCP but
 * never answers.
 */
function noDelaySockets(connectTimeoutMs: number, silenceMs: number) {
  let next = 0;
  return (o: { host: string[]; port: number[]; path?: string | false }) =>
    new Promise<net.Socket>((resolve) => {
      const i = next++ % Math.max(1, o.host.length);
      const socket = o.path
        ? net.connect(o.path)
        : net.connect({ host: o.host[i] ?? '127.0.0.1', port: o.port[i] ?? o.port[0] ?? 5432 });
      socket.setNoDelay(true);
      socket.setTimeout(connectTimeoutMs, () =>
        socket.destroy(connectionError('CONNECT_TIMEOUT', 'database connect timed out')),
      );
      const failed = (err: Error) => resolve(failedSocket(err));
      socket.once('error', failed);
      socket.once('connect', () => {
        socket.removeListener('error', failed);
        socket.setTimeout(silenceMs);
        if (silenceMs > 0) {
          socket.on('timeout', () =>
            socket.destroy(connectionError('ETIMEDOUT', 'database did not answer')),
          );
        }
        resolve(socket);
      });
    });
}

function connectionError(code: string, message: string): Error {
  return Object.assign(new Error(message), { code });
}

/** A socket that never connected: the driver's first write fails with the connect's error. */
function failedSocket(reason: Error): net.Socket {
  const socket = new net.Socket();
  socket.write = (() => {
    socket.destroy(reason);
    return false;
  }) as net.Socket['write'];
  return socket;
}

export { DB_RETRY_AFTER_SECONDS, dbError, isDatabaseUnavailable } from './errors.ts';
export { embeddedSuperuserUrl, startEmbeddedPostgres, type EmbeddedPostgres } from './embedded.ts';
export { backup, readBackupHeader, restore, type KeyFileNote } from './backup.ts';
export { migrate, migrationStatus, MIGRATIONS_DIR, type MigrationResult } from './migrate.ts';
export {
  appendOnlyTables,
  connectedRole,
  EMBEDDED_OWNER_ROLE,
  EMBEDDED_SERVING_ROLE,
  embeddedRoleUrl,
  grantServingRole,
} from './roles.ts';
export { copyIn, copyField, copyBytea } from './copy.ts';
export { BinaryRows, binaryCopy } from './copy-binary.ts';
export { int8Array, storedUuidArray, textArray, uuidArray } from './array.ts';
export { claimJobWindow } from './job-runs.ts';
export { retryOnConflict } from './retry.ts';
export { allSent, beginReading, beginWith, withLastWrites, type LastWrites } from './pipelined.ts';
export { listBySeq, seqOfRow, type SeqPage } from './page.ts';

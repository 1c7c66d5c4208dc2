import net from 'node:net';
import postgres from 'postgres';

// The database layer: one postgres.js pool per process. `Sql` runs statements; `Tx` is the
// handle a transaction gives its callback, and every module's store takes a Tx so that a
// state change, its audit entry and its outbox event commit together.
//
// Glossary
// - Sql: a connection pool (postgres.js).
// - Tx: a transaction handle; anything written through it commits or rolls back as one.

export type Sql = postgres.Sql<{ bigint: bigint }>;
export type Tx = postgres.TransactionSql<{ bigint: bigint }>;
/** Either a pool or an open transaction: read paths accept both. */
export type Db = Sql | Tx;

export interface ConnectOptions {
  connectionsMax?: number;
  applicationName?: string;
}

export function connect(url: string, options: ConnectOptions = {}): Sql {
  const settings = {
    max: options.connectionsMax ?? 10,
    onnotice: () => {},
    // int8 columns hold money and counters: they come back as bigint, never as a lossy number.
    types: { bigint: postgres.BigInt },
    connection: { application_name: options.applicationName ?? 'kinko' },
    idle_timeout: 30,
    // postgres.js supports a socket factory but its type definitions do not declare it.
    socket: noDelaySockets(),
  };
  return postgres(url, settings as Parameters<typeof postgres>[1]) as unknown as Sql;
}

const CONNECT_TIMEOUT_MS = 30_000;

/**
 * Sockets with Nagle's algorithm off. postgres.js leaves it on, and a COPY or a pipelined
 * statement sent as two small writes then waits for the server's delayed ACK (~40 ms) before
 * the second leaves: a one-transfer ledger batch took ~180 ms instead of ~10 ms. Hosts of a
 * multi-host URL are tried in turn, as postgres.js itself does; TLS is layered on top by the
 * driver.
 */
function noDelaySockets() {
  let next = 0;
  return (o: { host: string[]; port: number[]; path?: string | false }) =>
    new Promise<net.Socket>((resolve, reject) => {
      const i = next++ % Math.max(1, o.host.length);
      const socket = o.path
        ? net.connect(o.path)
        : net.connect({ host: o.host[i] ?? '127.0.0.1', port: o.port[i] ?? o.port[0] ?? 5432 });
      socket.setNoDelay(true);
      socket.setTimeout(CONNECT_TIMEOUT_MS, () => socket.destroy(new Error('connect timeout')));
      socket.once('error', reject);
      socket.once('connect', () => {
        socket.setTimeout(0);
        socket.removeListener('error', reject);
        resolve(socket);
      });
    });
}

export { startEmbeddedPostgres, type EmbeddedPostgres } from './embedded.ts';
export { migrate, migrationStatus, type MigrationResult } from './migrate.ts';
export { copyIn, copyField, copyBytea, type CopyStatement } from './copy.ts';
export { BinaryRows, binaryCopy } from './copy-binary.ts';
export { int8Array, textArray, uuidArray } from './array.ts';

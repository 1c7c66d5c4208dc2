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
  return postgres(url, {
    max: options.connectionsMax ?? 10,
    onnotice: () => {},
    // int8 columns hold money and counters: they come back as bigint, never as a lossy number.
    types: { bigint: postgres.BigInt },
    connection: { application_name: options.applicationName ?? 'kinko' },
    idle_timeout: 30,
  }) as unknown as Sql;
}

export { startEmbeddedPostgres, type EmbeddedPostgres } from './embedded.ts';
export { migrate, migrationStatus, type MigrationResult } from './migrate.ts';
export { copyIn, copyField, copyBytea, type CopyStatement } from './copy.ts';

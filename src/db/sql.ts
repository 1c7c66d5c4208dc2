import type postgres from 'postgres';

// The handles every query runs through, in a file of their own so that the database layer's
// files (migrate, backup, roles) take them from here rather than from index.ts, which
// re-exports those files.

export type Sql = postgres.Sql<{ bigint: bigint }>;
export type Tx = postgres.TransactionSql<{ bigint: bigint }>;
/** Either a pool or an open transaction: read paths accept both. */
export type Db = Sql | Tx;
/**
 * A statement made but not sent, to be embedded in another (postgres.js interpolates it
 * with its parameters): how one module's write joins another's statement.
 */
export type Fragment = postgres.Fragment;

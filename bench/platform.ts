import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { loadConfig } from '../src/config.ts';
import { connect, EMBEDDED_SERVING_ROLE, type Sql } from '../src/db/index.ts';
import type { Logger } from '../src/lib/log.ts';
import { startPlatform, type Platform } from '../src/main.ts';
import { trackPoolSockets } from './statements.ts';
import { startMeasuredPostgres, type PgStatements } from './pg-statements.ts';

// The platform a benchmark measures: a fresh embedded PostgreSQL with durable commits and
// main.ts's startPlatform on 127.0.0.1 with its background workers running, served as the
// least-privilege role, key files outside the data directory. The origin is the one the
// test helpers' hosted card fields use.

export const BENCH_ORIGIN = 'http://localhost:8080';

export interface BenchPlatform {
  platform: Platform;
  dataDir: string;
  /** The platform's pool: a benchmark counts the statements sent through it. */
  sql: Sql;
  /** What each statement cost PostgreSQL (BENCH_PG_STATEMENTS; a no-op otherwise). */
  pgStatements: PgStatements;
  /** Where BENCH_WAITS samples the server's backends (waits.ts). */
  pgUrls: { superuserUrl: string; databaseUrl: string };
  close(): Promise<void>;
}

export async function startBenchPlatform(log: Logger, name: string): Promise<BenchPlatform> {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), `kinko-${name}-`));
  // The embedded server runs as the postgres user when we are root: it must traverse root.
  fs.chmodSync(root, 0o711);
  const dataDir = path.join(root, 'data');
  const keysDir = path.join(root, 'keys');
  fs.mkdirSync(dataDir);
  const { pg, pgCost } = await startMeasuredPostgres(dataDir, log);
  const config = loadConfig({
    KINKO_ENV: 'test',
    KINKO_DATA_DIR: dataDir,
    KINKO_KEK_FILE: path.join(keysDir, 'vault-keys.json'),
    KINKO_AUDIT_SIGNING_KEY_FILE: path.join(keysDir, 'audit-signing.key'),
    KINKO_PUBLIC_ORIGIN: BENCH_ORIGIN,
    KINKO_DB_POOL_CONNECTIONS_MAX: '12',
    HOST: '127.0.0.1',
    PORT: '0',
  });
  const sql = connect(pg.url, { connectionsMax: config.limits.dbPoolConnectionsMax });
  trackPoolSockets(sql);
  const owner = { url: pg.ownerUrl, servingRole: EMBEDDED_SERVING_ROLE };
  const db = { sql, description: 'bench', owner, close: () => sql.end({ timeout: 5 }) };
  const cleanup = async () => {
    await pgCost.close();
    await sql.end({ timeout: 5 });
    await pg.stop();
    fs.rmSync(root, { recursive: true, force: true });
  };
  try {
    const platform = await startPlatform(config, log, { db, listen: true });
    return {
      platform,
      dataDir,
      sql,
      pgStatements: pgCost,
      pgUrls: { superuserUrl: pg.superuserUrl, databaseUrl: pg.url },
      close: async () => {
        await platform.stop();
        await cleanup();
      },
    };
  } catch (error) {
    await cleanup();
    throw error;
  }
}

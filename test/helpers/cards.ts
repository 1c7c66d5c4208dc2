import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import {
  createAcquirer,
  acquirerRoutes,
  createSimulator,
  type Acquirer,
  type Simulator,
} from '../../src/acquirer/index.ts';
import { createAudit } from '../../src/audit/index.ts';
import { loadConfig, type Limits } from '../../src/config.ts';
import { createServer, type App } from '../../src/http/server.ts';
import { manualClock, type ManualClock } from '../../src/lib/clock.ts';
import {
  createVault,
  fileKeyProvider,
  registerMerchant,
  vaultRoutes,
  type KeyProvider,
  type Vault,
} from '../../src/vault/index.ts';
import { capturedLogger } from './log.ts';
import { createTestDb, type TestDb } from './db.ts';

// The card path assembled for tests: a fresh database, a key file in a temporary directory,
// the simulator as card network, the vault, and an HTTP server with the vault's and the
// acquirer's routes. Tests replace the clock and the card network, nothing else.

export const MERCHANT_ORIGIN = 'http://127.0.0.1:4455';

export interface CardPlatform {
  db: TestDb;
  clock: ManualClock;
  logs: ReturnType<typeof capturedLogger>;
  keyFile: string;
  keyProvider: KeyProvider;
  simulator: Simulator;
  acquirer: Acquirer;
  vault: Vault;
  app: App;
  publicOrigin: string;
  merchant: { id: string; publishableKey: string; secretKey: string };
  limits: Limits;
  close(): Promise<void>;
}

export interface PlatformOptions {
  publicOrigin?: string;
  merchantOrigin?: string;
  limits?: Partial<Limits>;
  clock?: ManualClock;
  env?: 'development' | 'test' | 'production';
}

export async function cardPlatform(options: PlatformOptions = {}): Promise<CardPlatform> {
  const db = await createTestDb();
  const clock = options.clock ?? manualClock(Date.UTC(2026, 0, 15, 9, 30, 0));
  const logs = capturedLogger('trace');
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'kinko-keys-'));
  const keyFile = path.join(dir, 'vault-keys.json');
  const keyProvider = fileKeyProvider({ file: keyFile, create: true });
  const limits = { ...loadConfig({}).limits, acquirerCallTimeoutMs: 200, ...options.limits };
  const audit = createAudit({ clock, sql: db.sql });
  const simulator = createSimulator();
  const acquirer = createAcquirer({
    sql: db.sql,
    clock,
    audit,
    network: simulator,
    limits,
    log: logs.log,
  });
  const publicOrigin = options.publicOrigin ?? 'http://localhost:4454';
  const vault = createVault({
    sql: db.sql,
    clock,
    audit,
    keyProvider,
    acquirer,
    limits,
    log: logs.log,
    publicOrigin,
  });
  const keys = await registerMerchant(db.sql, clock, {
    merchantId: 'mer_test',
    allowedOrigins: [options.merchantOrigin ?? MERCHANT_ORIGIN],
  });
  const app = await createServer({
    log: logs.log,
    limits,
    version: 'test',
    routes: (scope) => {
      vaultRoutes(scope, { vault });
      acquirerRoutes(scope, {
        acquirer,
        challengeScript: vault.scripts.entry('challenge'),
        showDevCode: (options.env ?? 'test') !== 'production',
      });
    },
  });
  return {
    db,
    clock,
    logs,
    keyFile,
    keyProvider,
    simulator,
    acquirer,
    vault,
    app,
    publicOrigin,
    limits,
    merchant: { id: 'mer_test', ...keys },
    close: async () => {
      await app.close();
      await db.close();
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** Every row of every table in the schema, as text: a pg_dump of the data, for searching. */
export async function dumpDatabase(db: TestDb): Promise<string> {
  const tables = await db.sql<{ table_name: string }[]>`
    select table_name from information_schema.tables
    where table_schema = current_schema() and table_type = 'BASE TABLE' order by table_name`;
  const parts: string[] = [];
  for (const { table_name } of tables) {
    const rows = await db.sql<{ t: string }[]>`select t::text as t from ${db.sql(table_name)} t`;
    parts.push(`-- ${table_name}\n${rows.map((r) => r.t).join('\n')}`);
  }
  return parts.join('\n');
}

/** Headers a request from the hosted fields page carries. */
export function hostedHeaders(p: CardPlatform, sessionKey: string): Record<string, string> {
  return { origin: p.publicOrigin, 'x-kinko-session-key': sessionKey };
}

/** Loads the hosted fields page as the merchant's iframe would and returns its session key. */
export async function openHostedPage(
  p: CardPlatform,
  parentOrigin = MERCHANT_ORIGIN,
): Promise<{ key: string; html: string; csp: string }> {
  const res = await p.app.inject({
    method: 'GET',
    url: `/hosted/fields?pk=${p.merchant.publishableKey}&origin=${encodeURIComponent(parentOrigin)}`,
  });
  if (res.statusCode !== 200) throw new Error(`hosted page: ${res.statusCode} ${res.body}`);
  const m = /"sessionKey":"(hsk_[A-Za-z0-9_-]+)"/.exec(res.body);
  if (!m) throw new Error('no session key on the hosted page');
  return { key: m[1]!, html: res.body, csp: String(res.headers['content-security-policy']) };
}

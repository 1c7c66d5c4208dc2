import { createAudit } from '../../src/audit/index.ts';
import { loadConfig } from '../../src/config.ts';
import { createIdempotency, createServer, type App } from '../../src/http/index.ts';
import { manualClock, type ManualClock } from '../../src/lib/clock.ts';
import { createMerchants, merchantRoutes, type Merchants } from '../../src/merchants/index.ts';
import { createTestDb, type TestDb } from './db.ts';
import { capturedLogger } from './log.ts';

// The merchant API on a fresh test database: merchants, idempotency and a server, with a
// manual clock. Other modules' routes can be added through `routes`.

export interface MerchantApi {
  db: TestDb;
  clock: ManualClock;
  merchants: Merchants;
  idempotency: ReturnType<typeof createIdempotency>;
  app: App;
  logs: ReturnType<typeof capturedLogger>;
  close(): Promise<void>;
}

export async function merchantApi(
  extra?: (app: App, api: Omit<MerchantApi, 'app' | 'close'>) => void,
): Promise<MerchantApi> {
  const db = await createTestDb();
  const clock = manualClock(Date.UTC(2026, 3, 1));
  const config = loadConfig({ KINKO_ENV: 'test' });
  const audit = createAudit({ clock, sql: db.sql });
  const merchants = createMerchants({
    sql: db.sql,
    clock,
    audit,
    limits: config.limits,
    env: 'test',
  });
  const logs = capturedLogger('warn');
  const idempotency = createIdempotency({
    sql: db.sql,
    clock,
    limits: config.limits,
    log: logs.log,
  });
  const base = { db, clock, merchants, idempotency, logs };
  const app = await createServer({
    log: logs.log,
    limits: config.limits,
    version: 'test',
    routes: (scope) => {
      merchantRoutes(scope, { merchants, idempotency });
      extra?.(scope, base);
    },
  });
  return {
    ...base,
    app,
    close: async () => {
      await app.close();
      await db.close();
    },
  };
}

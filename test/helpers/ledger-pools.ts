import { after, before } from 'node:test';
import { connect, type Sql } from '../../src/db/index.ts';
import { createAudit } from '../../src/audit/index.ts';
import { loadConfig } from '../../src/config.ts';
import { manualClock } from '../../src/lib/clock.ts';
import { createLedger, type Ledger } from '../../src/ledger/index.ts';
import { createTestDb, type TestDb } from './db.ts';

/**
 * Ledgers on one test database, each on a pool of one connection of its own, so their
 * batches run in separate transactions at once. Made in the file's `before`, ended in its
 * `after`; read the fields from the tests.
 */
export interface LedgersOnOwnConnections {
  db: TestDb;
  pools: Sql[];
  ledgers: Ledger[];
}

export function ledgersOnOwnConnections(count: number): LedgersOnOwnConnections {
  const limits = loadConfig({ KINKO_ENV: 'test' }).limits;
  const clock = manualClock();
  const made = { pools: [] as Sql[], ledgers: [] as Ledger[] } as LedgersOnOwnConnections;
  before(async () => {
    made.db = await createTestDb();
    for (let i = 0; i < count; i++) made.pools.push(connect(made.db.url, { connectionsMax: 1 }));
    const audit = createAudit({ clock });
    made.ledgers = made.pools.map((sql) => createLedger({ sql, clock, audit, limits }));
  });
  after(async () => {
    await Promise.all(made.pools.map((p) => p.end({ timeout: 5 })));
    await made.db.close();
  });
  return made;
}

/** A ledger on a test database of the file's own, made in its `before`, closed in its `after`. */
export interface LedgerOnTestDb {
  db: TestDb;
  ledger: Ledger;
}

export function ledgerOnTestDb(): LedgerOnTestDb {
  const limits = loadConfig({ KINKO_ENV: 'test' }).limits;
  const clock = manualClock();
  const made = {} as LedgerOnTestDb;
  before(async () => {
    made.db = await createTestDb();
    made.ledger = createLedger({ sql: made.db.sql, clock, audit: createAudit({ clock }), limits });
  });
  after(() => made.db.close());
  return made;
}

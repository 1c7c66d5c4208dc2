import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { connect, type Sql } from '../db/index.ts';
import { createTestDb, type TestDb } from '../../test/helpers/db.ts';
import { createAudit } from '../audit/index.ts';
import { loadConfig } from '../config.ts';
import { manualClock } from '../lib/clock.ts';
import { uuidv7 } from '../lib/ids.ts';
import { createLedger, type Ledger, type TransferInput } from './index.ts';

// A batch checks its transfer ids against ledger_transfers by index, however many batches
// its connection ran before and however small the table was when it planned them. Under
// PostgreSQL's default plan_cache_mode a prepared statement switches to its generic plan
// after five custom ones (small batches force it at once); a generic plan made while
// ledger_transfers was nearly empty scanned the whole table, comparing every row with every
// id of the batch (11.7 s for 8190 ids at 93,000 rows). One connection, so every batch
// reuses the same prepared statements. The count of sequential scans of ledger_transfers is
// the evidence: exact, where a time would not be.

const limits = loadConfig({ KINKO_ENV: 'test' }).limits;
const clock = manualClock();
let db: TestDb;
let sql: Sql;
let ledger: Ledger;

before(async () => {
  db = await createTestDb();
  sql = connect(db.url, { connectionsMax: 1 });
  ledger = createLedger({ sql, clock, audit: createAudit({ clock }), limits });
});
after(async () => {
  await sql.end({ timeout: 5 });
  await db.close();
});

/** Sequential scans of ledger_transfers so far, this connection's own included. */
async function transferSeqScans(): Promise<number> {
  // A backend reports its counts at most once a second unless told to at its next idle.
  await sql`select pg_stat_force_next_flush()`;
  const [row] = await sql<{ n: string }[]>`
    select seq_scan::text as n from pg_stat_user_tables where relname = 'ledger_transfers'`;
  assert.ok(row);
  return Number(row.n);
}

test('large batches never scan ledger_transfers, after any number of batches', async () => {
  const ids = Array.from({ length: 200 }, () => uuidv7());
  await ledger.createAccounts(ids.map((id) => ({ id, currency: 'JPY', code: 1 })));
  const transfer = (i: number): TransferInput => ({
    id: uuidv7(),
    debitAccountId: ids[i % ids.length]!,
    creditAccountId: ids[(i + 1) % ids.length]!,
    amount: 1n,
    currency: 'JPY',
    code: 1,
  });
  // A small batch first, while the table is empty: the lock statement's generic plan.
  const [first] = await ledger.createTransfers([transfer(0)]);
  assert.equal(first?.result, 'ok');
  // Above INSERT_TRANSFERS_MAX: the large-batch path (COPY).
  const size = 500;
  const before = await transferSeqScans();
  for (let b = 0; b < 8; b++) {
    const results = await ledger.createTransfers(
      Array.from({ length: size }, (_, i) => transfer(i)),
    );
    assert.ok(results.every((r) => r.result === 'ok'));
  }
  assert.equal((await transferSeqScans()) - before, 0, 'a large batch scanned ledger_transfers');
});

test('small batches never scan ledger_transfers, their plan made on an empty table', async () => {
  // A fresh database: small batches plan their statements once per connection (generic
  // plans), and this connection's first one sees ledger_transfers empty. In a caller's
  // transaction (a register payment's), where a batch looks its ids up in the lock.
  const fresh = await createTestDb();
  const one = connect(fresh.url, { connectionsMax: 1 });
  try {
    const small = createLedger({ sql: one, clock, audit: createAudit({ clock }), limits });
    const ids = [uuidv7(), uuidv7()];
    await small.createAccounts(ids.map((id) => ({ id, currency: 'JPY', code: 1 })));
    const post = async () => {
      const [r] = await one.begin((tx) =>
        small.createTransfersInTx(tx, [
          {
            id: uuidv7(),
            debitAccountId: ids[0]!,
            creditAccountId: ids[1]!,
            amount: 1n,
            currency: 'JPY',
            code: 1,
          },
        ]),
      );
      assert.equal(r?.result, 'ok');
    };
    await post();
    const scans = async () => {
      await one`select pg_stat_force_next_flush()`;
      const [row] = await one<{ n: string }[]>`
        select seq_scan::text as n from pg_stat_user_tables where relname = 'ledger_transfers'`;
      return Number(row?.n);
    };
    const before = await scans();
    for (let i = 0; i < 10; i++) await post();
    assert.equal((await scans()) - before, 0, 'a small batch scanned ledger_transfers');
  } finally {
    await one.end({ timeout: 5 });
    await fresh.close();
  }
});

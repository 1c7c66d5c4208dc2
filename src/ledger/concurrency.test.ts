import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { connect, type Sql } from '../db/index.ts';
import { createTestDb, type TestDb } from '../../test/helpers/db.ts';
import { createAudit } from '../audit/index.ts';
import { loadConfig } from '../config.ts';
import { manualClock } from '../lib/clock.ts';
import { uuidv7 } from '../lib/ids.ts';
import { createLedger, type Ledger, type TransferInput } from './index.ts';

// Concurrent batches from several connections over the same accounts, in opposite orders.
// Sorted locking must keep them deadlock-free and the balances exact.

const limits = loadConfig({ KINKO_ENV: 'test' }).limits;
const clock = manualClock();
let db: TestDb;
const pools: Sql[] = [];
let ledgers: Ledger[];

before(async () => {
  db = await createTestDb();
  for (let i = 0; i < 4; i++) pools.push(connect(db.url, { connectionsMax: 1 }));
  const audit = createAudit({ clock });
  ledgers = pools.map((sql) => createLedger({ sql, clock, audit, limits }));
});
after(async () => {
  await Promise.all(pools.map((p) => p.end({ timeout: 5 })));
  await db.close();
});

test('opposite-order batches on overlapping accounts never deadlock', async () => {
  const ids = Array.from({ length: 20 }, () => uuidv7());
  await ledgers[0]!.createAccounts(ids.map((id) => ({ id, currency: 'JPY', code: 1 })));
  const rounds = 15;
  const batch = (forward: boolean): TransferInput[] =>
    ids.map((_, i) => {
      const d = forward ? i : ids.length - 1 - i;
      const c = forward ? (i + 1) % ids.length : (ids.length - i) % ids.length;
      return {
        id: uuidv7(),
        debitAccountId: ids[d]!,
        creditAccountId: ids[c]!,
        amount: BigInt(i + 1),
        currency: 'JPY',
        code: 1,
      };
    });
  const work = ledgers.map(async (ledger, k) => {
    for (let r = 0; r < rounds; r++) {
      const results = await ledger.createTransfers(batch((k + r) % 2 === 0));
      assert.ok(results.every((x) => x.result === 'ok'));
    }
  });
  await Promise.all(work);
  const accounts = await ledgers[0]!.lookupAccounts(ids);
  const debits = accounts.reduce((s, a) => s + a.debitsPosted, 0n);
  const credits = accounts.reduce((s, a) => s + a.creditsPosted, 0n);
  const perBatch = BigInt((ids.length * (ids.length + 1)) / 2);
  assert.equal(debits, perBatch * BigInt(rounds * ledgers.length));
  assert.equal(credits, debits);
  assert.equal((await ledgers[0]!.check()).ok, true);
});

test('the same new transfer id sent from two connections at once is posted once', async () => {
  const [a, b] = [uuidv7(), uuidv7()];
  await ledgers[0]!.createAccounts([a, b].map((id) => ({ id, currency: 'JPY', code: 1 })));
  const t = {
    id: uuidv7(),
    debitAccountId: a,
    creditAccountId: b,
    amount: 9n,
    currency: 'JPY',
    code: 1,
  };
  const results = await Promise.all(ledgers.map((l) => l.createTransfers([t])));
  const codes = results.map((r) => r[0]!.result).sort();
  assert.deepEqual(codes, ['exists', 'exists', 'exists', 'ok']);
  const [acc] = await ledgers[0]!.lookupAccounts([a]);
  assert.equal(acc?.debitsPosted, 9n);
});

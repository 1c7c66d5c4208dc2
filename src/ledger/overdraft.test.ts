import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { connect, type Sql } from '../db/index.ts';
import { createTestDb, type TestDb } from '../../test/helpers/db.ts';
import { createAudit } from '../audit/index.ts';
import { loadConfig } from '../config.ts';
import { manualClock } from '../lib/clock.ts';
import { uuidv7 } from '../lib/ids.ts';
import { createLedger, type Ledger, type TransferInput } from './index.ts';

// The attack: spend one wallet balance many times over, by racing batches from several
// connections, by reserving and posting, by reposting a pending transfer, and by replaying a
// transfer id. Every attempt beyond the balance must fail with a named code.

const limits = loadConfig({ KINKO_ENV: 'test' }).limits;
const clock = manualClock();
let db: TestDb;
const pools: Sql[] = [];
let ledgers: Ledger[];
let funding: string;

before(async () => {
  db = await createTestDb();
  for (let i = 0; i < 4; i++) pools.push(connect(db.url, { connectionsMax: 1 }));
  const audit = createAudit({ clock });
  ledgers = pools.map((sql) => createLedger({ sql, clock, audit, limits }));
  funding = uuidv7();
  await ledgers[0]!.createAccounts([{ id: funding, currency: 'JPY', code: 1 }]);
});
after(async () => {
  await Promise.all(pools.map((p) => p.end({ timeout: 5 })));
  await db.close();
});

async function wallet(balance: bigint): Promise<string> {
  const id = uuidv7();
  await ledgers[0]!.createAccounts([
    { id, currency: 'JPY', code: 2, flags: { debitsMustNotExceedCredits: true } },
  ]);
  const t = {
    id: uuidv7(),
    debitAccountId: funding,
    creditAccountId: id,
    amount: balance,
    currency: 'JPY',
    code: 1,
  };
  assert.equal((await ledgers[0]!.createTransfers([t]))[0]?.result, 'ok');
  return id;
}

const spend = (from: string, amount: bigint, extra: Partial<TransferInput> = {}) => ({
  id: uuidv7(),
  debitAccountId: from,
  creditAccountId: funding,
  amount,
  currency: 'JPY',
  code: 3,
  ...extra,
});

test('racing spends from four connections never overdraw a wallet', async () => {
  const w = await wallet(1000n);
  const results = await Promise.all(
    ledgers.map((l) => l.createTransfers(Array.from({ length: 10 }, () => spend(w, 30n)))),
  );
  const ok = results.flat().filter((r) => r.result === 'ok').length;
  const refused = results.flat().filter((r) => r.result === 'exceeds_credits').length;
  assert.equal(ok, 33);
  assert.equal(refused, 7);
  const [acc] = await ledgers[0]!.lookupAccounts([w]);
  assert.equal(acc?.debitsPosted, 990n);
});

test('a reservation counts against the balance; posting it twice fails', async () => {
  const w = await wallet(100n);
  const hold = spend(w, 80n, { flags: { pending: true } });
  const post = { id: uuidv7(), pendingId: hold.id, flags: { postPendingTransfer: true } };
  const results = await ledgers[0]!.createTransfers([
    hold,
    spend(w, 21n),
    post,
    { ...post, id: uuidv7() },
    { id: uuidv7(), pendingId: hold.id, flags: { voidPendingTransfer: true } },
    spend(w, 21n),
    spend(w, 20n),
  ]);
  assert.deepEqual(
    results.map((r) => r.result),
    [
      'ok',
      'exceeds_credits',
      'ok',
      'pending_transfer_already_posted',
      'pending_transfer_already_posted',
      'exceeds_credits',
      'ok',
    ],
  );
});

test('replaying a spend, even with a bigger amount, never debits twice', async () => {
  const w = await wallet(50n);
  const t = spend(w, 50n);
  assert.equal((await ledgers[0]!.createTransfers([t]))[0]?.result, 'ok');
  const replays = await Promise.all(
    ledgers.map((l) => l.createTransfers([t, { ...t, amount: 1n }])),
  );
  for (const r of replays) {
    assert.deepEqual(
      r.map((x) => x.result),
      ['exists', 'exists_with_different_amount'],
    );
  }
  const [acc] = await ledgers[0]!.lookupAccounts([w]);
  assert.equal(acc?.debitsPosted, 50n);
});

test('a negative amount cannot pull money into a wallet', async () => {
  const w = await wallet(0n + 1n);
  const results = await ledgers[0]!.createTransfers([spend(w, -100n), spend(w, 0n)]);
  assert.deepEqual(
    results.map((r) => r.result),
    ['amount_must_be_positive', 'amount_must_be_positive'],
  );
});

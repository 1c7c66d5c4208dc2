import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { ledgersOnOwnConnections } from '../../test/helpers/ledger-pools.ts';
import { createAudit } from '../audit/index.ts';
import { manualClock } from '../lib/clock.ts';
import { uuidv7 } from '../lib/ids.ts';
import { createLedger, type Ledger, type TransferInput } from './index.ts';

// Concurrent batches from several connections over the same accounts, in opposite orders.
// Sorted locking must keep them deadlock-free and the balances exact.

const on = ledgersOnOwnConnections(4);

test('opposite-order batches on overlapping accounts never deadlock', async () => {
  const ids = Array.from({ length: 20 }, () => uuidv7());
  await on.ledgers[0]!.createAccounts(ids.map((id) => ({ id, currency: 'JPY', code: 1 })));
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
  const work = on.ledgers.map(async (ledger, k) => {
    for (let r = 0; r < rounds; r++) {
      const results = await ledger.createTransfers(batch((k + r) % 2 === 0));
      assert.ok(results.every((x) => x.result === 'ok'));
    }
  });
  await Promise.all(work);
  const accounts = await on.ledgers[0]!.lookupAccounts(ids);
  const debits = accounts.reduce((s, a) => s + a.debitsPosted, 0n);
  const credits = accounts.reduce((s, a) => s + a.creditsPosted, 0n);
  const perBatch = BigInt((ids.length * (ids.length + 1)) / 2);
  assert.equal(debits, perBatch * BigInt(rounds * on.ledgers.length));
  assert.equal(credits, debits);
  assert.equal((await on.ledgers[0]!.check()).ok, true);
});

test('the same new transfer id sent from two connections at once is posted once', async () => {
  const [a, b] = [uuidv7(), uuidv7()];
  await on.ledgers[0]!.createAccounts([a, b].map((id) => ({ id, currency: 'JPY', code: 1 })));
  const t = {
    id: uuidv7(),
    debitAccountId: a,
    creditAccountId: b,
    amount: 9n,
    currency: 'JPY',
    code: 1,
  };
  const results = await Promise.all(on.ledgers.map((l) => l.createTransfers([t])));
  const codes = results.map((r) => r[0]!.result).sort();
  assert.deepEqual(codes, ['exists', 'exists', 'exists', 'ok']);
  const [acc] = await on.ledgers[0]!.lookupAccounts([a]);
  assert.equal(acc?.debitsPosted, 9n);
});

// A batch in a transaction of its own sends COMMIT behind its write statement without
// waiting for its answer. When that statement fails, PostgreSQL turns the COMMIT into a
// rollback without an error; the ledger must still report the failure and leave nothing.
test('a write that fails after COMMIT was sent rolls back and is reported', async () => {
  const [a, b] = [uuidv7(), uuidv7()];
  await on.ledgers[0]!.createAccounts([a, b].map((id) => ({ id, currency: 'JPY', code: 1 })));
  await on.db.owner.unsafe(`
    create function test_refuse_amount() returns trigger language plpgsql as $$
    begin raise exception 'refused by test'; end $$;
    create trigger test_refuse_amount before insert on ledger_transfers
      for each row when (new.amount = 424242) execute function test_refuse_amount();`);
  try {
    const t = { debitAccountId: a, creditAccountId: b, currency: 'JPY', code: 1 };
    const audit = createAudit({ clock: manualClock(), sql: on.db.sql });
    const before = await audit.unchainedEntries();
    await assert.rejects(
      on.ledgers[0]!.createTransfers([{ ...t, id: uuidv7(), amount: 424242n }]),
      /refused by test/,
    );
    const [acc] = await on.ledgers[0]!.lookupAccounts([a]);
    assert.equal(acc?.debitsPosted, 0n);
    assert.equal(await audit.unchainedEntries(), before);
    // The connection is clean again: the next batch on it commits.
    const [ok] = await on.ledgers[0]!.createTransfers([{ ...t, id: uuidv7(), amount: 5n }]);
    assert.equal(ok?.result, 'ok');
    assert.equal((await on.ledgers[0]!.lookupAccounts([a]))[0]?.debitsPosted, 5n);
  } finally {
    await on.db.owner.unsafe(`drop trigger test_refuse_amount on ledger_transfers;
                           drop function test_refuse_amount();`);
  }
});

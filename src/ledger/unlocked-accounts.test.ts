import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { ledgersOnOwnConnections } from '../../test/helpers/ledger-pools.ts';
import { uuidv7 } from '../lib/ids.ts';
import { createLedger, type Ledger } from './index.ts';
import * as store from './store.ts';

// An account without a balance limit (card clearing, a merchant) is read by a batch, not
// locked: its balances are written as the batch's change, added to the row, and the row is
// locked by that write until COMMIT only. So concurrent batches on it never queue while one
// of them waits for Node, its balances stay exact, and a pending transfer on such accounts
// is still resolved once (its row is locked instead).

const on = ledgersOnOwnConnections(2);

const account = async (flags = {}) => {
  const id = uuidv7();
  const [r] = await on.ledgers[0]!.createAccounts([{ id, currency: 'JPY', code: 1, flags }]);
  assert.equal(r?.result, 'ok');
  return id;
};

/** Whether another connection can lock the account's row at once. */
async function lockableElsewhere(id: string): Promise<boolean> {
  try {
    await on.pools[1]!.begin(
      (tx) => tx`select 1 from ledger_accounts where id = ${id} for update nowait`,
    );
    return true;
  } catch (e) {
    assert.equal((e as { code?: unknown }).code, '55P03', String(e));
    return false;
  }
}

test("a batch's lock leaves accounts without a limit unlocked", async () => {
  const open = await account();
  const wallet = await account({ debitsMustNotExceedCredits: true });
  await on.pools[0]!.begin(async (tx) => {
    const read = await store.lockAccounts(tx, [open, wallet], true);
    assert.equal(read.length, 2);
    assert.equal(await lockableElsewhere(open), true, 'the account without a limit is free');
    assert.equal(await lockableElsewhere(wallet), false, 'the wallet is locked');
  });
});

test('concurrent batches on an unlocked account keep its balances exact', async () => {
  const hot = await account();
  const others = await Promise.all(Array.from({ length: 4 }, () => account()));
  const rounds = 10;
  await Promise.all(
    on.ledgers.map(async (ledger, k) => {
      for (let r = 0; r < rounds; r++) {
        // Both directions, so that the batches' writes take the accounts in either order.
        const batch = others.map((o, i) => ({
          id: uuidv7(),
          debitAccountId: (r + k + i) % 2 === 0 ? hot : o,
          creditAccountId: (r + k + i) % 2 === 0 ? o : hot,
          amount: BigInt(i + 1),
          currency: 'JPY',
          code: 1,
        }));
        const results = await ledger.createTransfers(batch);
        assert.ok(results.every((x) => x.result === 'ok'));
      }
    }),
  );
  const [h] = await on.ledgers[0]!.lookupAccounts([hot]);
  assert.equal((h?.debitsPosted ?? 0n) + (h?.creditsPosted ?? 0n), 10n * BigInt(rounds * 2));
  assert.equal((await on.ledgers[0]!.check()).ok, true);
});

test('a pending transfer between unlocked accounts is posted once by racing posts', async () => {
  const [clearing, merchant] = [await account(), await account()];
  const pendingId = uuidv7();
  const [hold] = await on.ledgers[0]!.createTransfers([
    {
      id: pendingId,
      debitAccountId: clearing,
      creditAccountId: merchant,
      amount: 70n,
      currency: 'JPY',
      code: 1,
      flags: { pending: true },
    },
  ]);
  assert.equal(hold?.result, 'ok');
  const post = () => ({ id: uuidv7(), pendingId, flags: { postPendingTransfer: true } });
  // The first post stays uncommitted until the second has been sent and is waiting.
  let release!: () => void;
  const held = new Promise<void>((r) => (release = r));
  const first = on.pools[0]!.begin(async (tx) => {
    const [r] = await on.ledgers[0]!.createTransfersInTx(tx, [post()]);
    await held;
    return r?.result;
  });
  await new Promise((r) => setTimeout(r, 100));
  const second = on.ledgers[1]!.createTransfers([post()]);
  await new Promise((r) => setTimeout(r, 200));
  release();
  assert.equal(await first, 'ok');
  assert.equal((await second)[0]?.result, 'pending_transfer_already_posted');
  const [c, m] = await on.ledgers[0]!.lookupAccounts([clearing, merchant]);
  assert.deepEqual(
    [c?.debitsPending, c?.debitsPosted, m?.creditsPending, m?.creditsPosted],
    [0n, 70n, 0n, 70n],
  );
  assert.equal((await on.ledgers[0]!.check()).ok, true);
});

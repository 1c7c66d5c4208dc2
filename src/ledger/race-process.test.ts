import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createTestDb } from '../../test/helpers/db.ts';
import { startWriter } from '../../test/helpers/writer-process.ts';
import { createAudit } from '../audit/index.ts';
import { loadConfig } from '../config.ts';
import { systemClock } from '../lib/clock.ts';
import { uuidv7 } from '../lib/ids.ts';
import { createLedger, type TransferInput } from './index.ts';
import { INSERT_TRANSFERS_MAX } from './store.ts';

// Large batches (COPY) while another process posts one-transfer transactions
// over the same accounts the whole time, spending from and refilling wallets that may not
// overdraw, so that accounts change between any read and write a batch could make. A batch
// that wrote over such a change would lose the other's update (balances no longer the sums
// of their transfers: `ledger check`), and one that decided on a stale balance could
// overdraw a wallet. (Taking the lock's FOR UPDATE out fails it: ledger check finds an
// account whose debits posted differ from its transfers' sum.)

const limits = loadConfig({ KINKO_ENV: 'test' }).limits;
const BATCHES = 40;
const BATCH = 3 * INSERT_TRANSFERS_MAX;

test('large batches racing another process lose no update and overdraw nothing', async (t) => {
  const db = await createTestDb();
  t.after(() => db.close());
  const audit = createAudit({ clock: systemClock, sql: db.sql });
  const ledger = createLedger({ sql: db.sql, clock: systemClock, audit, limits });
  const funding = uuidv7();
  const wallets = Array.from({ length: 4 }, () => uuidv7());
  await ledger.createAccounts([
    { id: funding, currency: 'JPY', code: 1 },
    ...wallets.map((id) => ({
      id,
      currency: 'JPY',
      code: 2,
      flags: { debitsMustNotExceedCredits: true },
    })),
  ]);
  const move = (debitAccountId: string, creditAccountId: string, amount: bigint) => ({
    id: uuidv7(),
    debitAccountId,
    creditAccountId,
    amount,
    currency: 'JPY',
    code: 1,
  });
  await ledger.createTransfers(wallets.map((w) => move(funding, w, 40n)));

  const writer = startWriter(db.url, [funding, ...wallets], 'r', 'spend');
  t.after(() => writer.kill());
  await writer.waitFor((l) => l.startsWith('ack '));
  const ok: string[] = [];
  let refused = 0;
  for (let b = 0; b < BATCHES; b++) {
    // Spends of up to 9 from a wallet (into another or into funding), one in four a refill:
    // enough to drain the wallets, so that some are refused and the rest decide on balances
    // the writer keeps changing.
    const batch: TransferInput[] = Array.from({ length: BATCH }, (_, i) => {
      const w = wallets[(b + i) % wallets.length]!;
      const other = i % 2 === 0 ? funding : wallets[(b + i + 1) % wallets.length]!;
      if (i % 4 === 0) return move(funding, w, BigInt(1 + (i % 5)));
      return move(w, other, BigInt(1 + ((b * 7 + i) % 9)));
    });
    const results = await ledger.createTransfers(batch);
    for (const r of results) {
      if (r.result === 'ok') ok.push(r.id);
      else if (r.result === 'exceeds_credits') refused++;
      else assert.fail(`transfer ${r.index}: ${r.result}`);
    }
  }
  writer.kill();
  await writer.exited;

  const acked = writer.acked();
  assert.ok(acked.length > 20, `the writer committed ${acked.length} transfers`);
  assert.ok(ok.length > 0 && refused > 0, `batches: ${ok.length} ok, ${refused} refused`);
  const checked = await ledger.check();
  assert.ok(checked.ok, JSON.stringify(checked));
  for (const a of await ledger.lookupAccounts(wallets)) {
    assert.ok(a.debitsPending + a.debitsPosted <= a.creditsPosted, `wallet ${a.id} overdrawn`);
  }
  const stored = await ledger.lookupTransfers([...ok, ...acked]);
  assert.equal(stored.length, ok.length + acked.length, 'every acknowledged transfer is stored');
});

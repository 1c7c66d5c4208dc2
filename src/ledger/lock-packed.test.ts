import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ledgerOnTestDb } from '../../test/helpers/ledger-pools.ts';
import { uuidv7 } from '../lib/ids.ts';
import { INT8_MAX } from './state.ts';
import type { Ledger } from './index.ts';
import * as store from './store.ts';

// A large batch's lock answers its accounts packed as binary records (store.ts,
// lockAccountsPacked) instead of a row each. The packed answer must give exactly what the
// rows give: every account, its currency, flags and balances, including balances beyond
// 2^53 (where a JavaScript number would round) and up to the int8 maximum.

const made = ledgerOnTestDb();

test('a large lock answers every account exactly as stored', async () => {
  const make = async (n: number, currency: string, flags = {}) => {
    const ids = Array.from({ length: n }, () => uuidv7());
    const r = await made.ledger.createAccounts(ids.map((id) => ({ id, currency, code: 7, flags })));
    assert.ok(r.every((x) => x.result === 'ok'));
    return ids;
  };
  const jpy = await make(150, 'JPY');
  const usd = [
    ...(await make(20, 'USD', { creditsMustNotExceedDebits: true })),
    ...(await make(20, 'USD')),
  ];
  const eur = [
    ...(await make(10, 'EUR', { debitsMustNotExceedCredits: true })),
    ...(await make(10, 'EUR')),
  ];
  const huge = 2n ** 60n + 12_345n;
  const transfer = (dr: string, cr: string, amount: bigint, currency: string) => ({
    id: uuidv7(),
    debitAccountId: dr,
    creditAccountId: cr,
    amount,
    currency,
    code: 1,
  });
  const results = await made.ledger.createTransfers([
    transfer(jpy[0]!, jpy[1]!, huge, 'JPY'),
    transfer(jpy[2]!, jpy[3]!, INT8_MAX, 'JPY'),
    transfer(jpy[4]!, jpy[5]!, 2n ** 53n + 1n, 'JPY'),
    transfer(jpy[6]!, jpy[7]!, 2n ** 32n, 'JPY'),
    { ...transfer(jpy[8]!, jpy[9]!, 99n, 'JPY'), flags: { pending: true } },
    transfer(usd[0]!, usd[39]!, 5n, 'USD'),
    transfer(eur[19]!, eur[0]!, 6n, 'EUR'),
  ]);
  assert.deepEqual(
    results.map((r) => r.result),
    results.map(() => 'ok'),
  );
  // One id missing from the table: the lock leaves it out.
  const all = [...jpy, ...usd, ...eur, uuidv7()].sort();
  const locked = await made.db.sql.begin((tx) => store.lockAccounts(tx, all));
  assert.ok(all.length > 128, 'the lock takes the packed path');
  const stored = await store.selectAccounts(made.db.sql, all);
  const expected = stored
    .map(({ id, currency, flags, debitsPending, debitsPosted, creditsPending, creditsPosted }) => ({
      id,
      currency,
      flags,
      debitsPending,
      debitsPosted,
      creditsPending,
      creditsPosted,
    }))
    .sort((a, b) => (a.id < b.id ? -1 : 1));
  assert.equal(locked.length, 210);
  assert.deepEqual(locked, expected);
  const byId = new Map(locked.map((a) => [a.id, a]));
  assert.equal(byId.get(jpy[0]!)?.debitsPosted, huge);
  assert.equal(byId.get(jpy[3]!)?.creditsPosted, INT8_MAX);
  assert.equal(byId.get(jpy[4]!)?.debitsPosted, 2n ** 53n + 1n);
  assert.equal(byId.get(jpy[9]!)?.creditsPending, 99n);
  assert.equal(byId.get(usd[0]!)?.flags, 2);
  assert.equal(byId.get(eur[0]!)?.currency, 'EUR');
  assert.equal(byId.get(eur[0]!)?.flags, 1);
  assert.equal(byId.get(eur[0]!)?.creditsPosted, 6n);
});

test('a large lock of accounts that do not exist answers none', async () => {
  const ids = Array.from({ length: 200 }, () => uuidv7());
  assert.deepEqual(await made.db.sql.begin((tx) => store.lockAccounts(tx, ids)), []);
});

test('a large batch writes pending balances when it moves them, posted ones always', async () => {
  const ids: string[] = Array.from({ length: 300 }, () => uuidv7());
  await made.ledger.createAccounts(ids.map((id) => ({ id, currency: 'JPY', code: 7 })));
  const expected = new Map(ids.map((id) => [id, { dp: 0n, dpo: 0n, cp: 0n, cpo: 0n }]));
  const post = (i: number, amount: bigint, pending: boolean) => {
    const dr = ids[(2 * i) % 300]!;
    const cr = ids[(2 * i + 1) % 300]!;
    const d = expected.get(dr)!;
    const c = expected.get(cr)!;
    if (pending) {
      d.dp += amount;
      c.cp += amount;
    } else {
      d.dpo += amount;
      c.cpo += amount;
    }
    const flags = pending ? { pending: true } : undefined;
    return {
      id: uuidv7(),
      debitAccountId: dr,
      creditAccountId: cr,
      amount,
      currency: 'JPY',
      code: 1,
      flags,
    };
  };
  const check = async () => {
    const got = await made.ledger.lookupAccounts(ids);
    for (const a of got) {
      const e = expected.get(a.id)!;
      assert.deepEqual(
        [a.debitsPending, a.debitsPosted, a.creditsPending, a.creditsPosted],
        [e.dp, e.dpo, e.cp, e.cpo],
        a.id,
      );
    }
    assert.equal((await made.ledger.check()).ok, true);
  };
  const ok = async (batch: Parameters<Ledger['createTransfers']>[0]) => {
    const r = await made.ledger.createTransfers(batch);
    assert.ok(
      r.every((x) => x.result === 'ok'),
      JSON.stringify(r.find((x) => x.result !== 'ok')),
    );
  };
  // Posted only; then pending among posted; then posts and voids of those pending.
  await ok(Array.from({ length: 150 }, (_, i) => post(i, BigInt(i + 1), false)));
  await check();
  const mixed = Array.from({ length: 150 }, (_, i) => post(i, 10n, i % 2 === 0));
  await ok(mixed);
  await check();
  const resolving = mixed
    .filter((t) => t.flags)
    .map((p, k) => {
      const d = expected.get(p.debitAccountId)!;
      const c = expected.get(p.creditAccountId)!;
      d.dp -= p.amount;
      c.cp -= p.amount;
      if (k % 2 === 0) {
        d.dpo += p.amount;
        c.cpo += p.amount;
      }
      const flags = k % 2 === 0 ? { postPendingTransfer: true } : { voidPendingTransfer: true };
      return { id: uuidv7(), pendingId: p.id, flags };
    });
  await ok([...resolving, ...Array.from({ length: 80 }, (_, i) => post(i + 7, 3n, false))]);
  await check();
});

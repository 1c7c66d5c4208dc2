import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ledgerOnTestDb } from '../../test/helpers/ledger-pools.ts';
import { connect, type Sql } from '../db/index.ts';
import { uuidv7 } from '../lib/ids.ts';
import type { TransferInput } from './index.ts';
import { INT8_MAX } from './state.ts';

// A large batch in a transaction of its own whose transfers only post between accounts the
// ledger knows to have no balance limit adds its planned balances first, in one UPDATE that
// answers the balances it replaced (store.addPostedReturningOld), and decides on those. What
// it then refuses must leave no trace in the balances (its write sets them as decided), and
// the UPDATE must take the rows in id order, as every other batch takes accounts without a
// limit, or two batches could deadlock.

const made = ledgerOnTestDb();

const accounts = async (n: number, currency = 'JPY'): Promise<string[]> => {
  const ids = Array.from({ length: n }, () => uuidv7());
  const r = await made.ledger.createAccounts(ids.map((id) => ({ id, currency, code: 1 })));
  assert.ok(r.every((x) => x.result === 'ok'));
  return ids;
};

const transfer = (dr: string, cr: string, amount: bigint, flags?: TransferInput['flags']) => ({
  id: uuidv7(),
  debitAccountId: dr,
  creditAccountId: cr,
  amount,
  currency: 'JPY',
  code: 1,
  flags,
});

test('what a batch that added first refuses leaves no trace in the balances', async () => {
  const jpy = await accounts(120);
  const [usd] = await accounts(1, 'USD');
  const full = jpy[119]!;
  // Nearly full: the batch's planned add of 10 would overflow it, so the UPDATE leaves it.
  const first = await made.ledger.createTransfers(
    Array.from({ length: 70 }, (_, i) =>
      transfer(jpy[i]!, full, i === 0 ? INT8_MAX - 5n - 69n : 1n),
    ),
  );
  assert.ok(first.every((r) => r.result === 'ok'));
  const before = new Map((await made.ledger.lookupAccounts([...jpy, usd!])).map((a) => [a.id, a]));
  const plain = Array.from({ length: 90 }, (_, i) => transfer(jpy[i]!, jpy[i + 1]!, 7n));
  const chainOk = transfer(jpy[3]!, jpy[100]!, 50n, { linked: true });
  const batch = [
    ...plain,
    transfer(jpy[5]!, usd!, 11n), // accounts in two currencies
    transfer(jpy[6]!, jpy[6]!, 12n), // one account on both sides
    transfer(jpy[7]!, full, 10n), // overflows its credits
    chainOk, // taken back with its chain
    transfer(jpy[101]!, usd!, 13n),
    { ...plain[0]!, amount: 7n }, // the same id again
  ];
  const results = (await made.ledger.createTransfers(batch)).map((r) => r.result);
  assert.deepEqual(
    results.slice(0, 90),
    plain.map(() => 'ok'),
  );
  assert.deepEqual(results.slice(90), [
    'accounts_must_have_the_same_currency',
    'accounts_must_be_different',
    'overflows_credits',
    'linked_event_failed',
    'accounts_must_have_the_same_currency',
    'exists',
  ]);
  const after = await made.ledger.lookupAccounts([...jpy, usd!]);
  for (const a of after) {
    const b = before.get(a.id)!;
    const i = jpy.indexOf(a.id);
    const out = i >= 0 && i < 90 ? 7n : 0n;
    const into = i >= 1 && i <= 90 ? 7n : 0n;
    assert.deepEqual(
      [a.debitsPosted, a.creditsPosted, a.debitsPending, a.creditsPending],
      [b.debitsPosted + out, b.creditsPosted + into, 0n, 0n],
      `account ${i}`,
    );
  }
  assert.equal(after.find((a) => a.id === full)?.creditsPosted, INT8_MAX - 5n);
  const checked = await made.ledger.check();
  assert.ok(checked.ok, JSON.stringify(checked));
});

test('a batch that adds first takes its accounts in id order', async () => {
  // low < high by id, but high is stored first: a plan that took rows in the table's order
  // would take high first.
  const pair: string[] = [uuidv7(), uuidv7()].sort();
  const low = pair[0]!;
  const high = pair[1]!;
  for (const id of [high, low]) {
    const [r] = await made.ledger.createAccounts([{ id, currency: 'JPY', code: 1 }]);
    assert.equal(r?.result, 'ok');
  }
  const others = await accounts(200);
  const holder: Sql = connect(made.db.url, { connectionsMax: 1 });
  const prober: Sql = connect(made.db.url, { connectionsMax: 1 });
  let release!: () => void;
  const released = new Promise<void>((r) => (release = r));
  let holderDone: Promise<unknown> = Promise.resolve();
  try {
    let held!: (pid: number) => void;
    const holding = new Promise<number>((r) => (held = r));
    holderDone = holder.begin(async (tx) => {
      const [row] = await tx<{ pid: number }[]>`
        select pg_backend_pid() as pid from ledger_accounts where id = ${high} for update`;
      held(row!.pid);
      await released;
    });
    const pid = await holding;
    const batch = [
      transfer(high, low, 1n),
      ...Array.from({ length: 99 }, (_, i) => transfer(others[2 * i]!, others[2 * i + 1]!, 1n)),
    ];
    const posted = made.ledger.createTransfers(batch);
    // The batch waits for high; by then it must hold low (and every account before high).
    for (const started = Date.now(); ;) {
      const [w] = await prober<{ n: number }[]>`
        select count(*)::int as n from pg_stat_activity
        where ${pid}::int = any(pg_blocking_pids(pid))`;
      if (w!.n > 0) break;
      assert.ok(Date.now() - started < 10_000, 'the batch waits for the held account');
      await new Promise((r) => setTimeout(r, 10));
    }
    const lockable = async (id: string) =>
      prober
        .begin((tx) => tx`select 1 from ledger_accounts where id = ${id} for update nowait`)
        .then(
          () => true,
          (e: { code?: unknown }) => {
            assert.equal(e.code, '55P03', String(e));
            return false;
          },
        );
    assert.equal(await lockable(low), false, 'the batch holds the lower id while it waits');
    release();
    await holderDone;
    const results = await posted;
    assert.ok(results.every((r) => r.result === 'ok'));
  } finally {
    release();
    await holderDone.catch(() => undefined);
    await holder.end({ timeout: 5 });
    await prober.end({ timeout: 5 });
  }
});

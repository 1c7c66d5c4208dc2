import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { createTestDb, type TestDb } from '../../test/helpers/db.ts';
import { createAudit, merkleLeafHash } from '../audit/index.ts';
import { loadConfig } from '../config.ts';
import { manualClock } from '../lib/clock.ts';
import { uuidv7 } from '../lib/ids.ts';
import { canonicalTransfer, createLedger, type Ledger, type TransferInput } from './index.ts';
import type { Transfer } from './ledger.ts';
import { connect, type Tx } from '../db/index.ts';

// The ledger against real PostgreSQL: every reachable result code, retries, linked chains,
// two-phase transfers and expiry, and check().

const limits = { ...loadConfig({ KINKO_ENV: 'test' }).limits, ledgerTransferBatchSizeMax: 100 };
const clock = manualClock();
let db: TestDb;
let ledger: Ledger;

before(async () => {
  db = await createTestDb();
  ledger = createLedger({ sql: db.sql, clock, audit: createAudit({ clock }), limits });
});
after(() => db.close());

/** A looked-up transfer back in the stored form that canonicalTransfer() encodes. */
function asRecord(t: Transfer): Parameters<typeof canonicalTransfer>[0] {
  const f = t.flags;
  const flags =
    (f.linked ? 1 : 0) |
    (f.pending ? 2 : 0) |
    (f.postPendingTransfer ? 4 : 0) |
    (f.voidPendingTransfer ? 8 : 0);
  return { ...t, flags, createdAtMs: t.createdAt.getTime() };
}

type Flags = { debitsMustNotExceedCredits?: boolean; creditsMustNotExceedDebits?: boolean };

async function accounts(n: number, currency = 'JPY', flags: Flags = {}): Promise<string[]> {
  const ids = Array.from({ length: n }, () => uuidv7());
  const results = await ledger.createAccounts(ids.map((id) => ({ id, currency, code: 10, flags })));
  assert.ok(results.every((r) => r.result === 'ok'));
  return ids;
}

function transfer(dr: string, cr: string, amount: bigint, extra: Partial<TransferInput> = {}) {
  return {
    id: uuidv7(),
    debitAccountId: dr,
    creditAccountId: cr,
    amount,
    currency: 'JPY',
    code: 1,
    ...extra,
  };
}

async function codes(transfers: TransferInput[]): Promise<string[]> {
  const results = await ledger.createTransfers(transfers);
  assert.deepEqual(
    results.map((r) => r.index),
    transfers.map((_, i) => i),
  );
  assert.deepEqual(
    results.map((r) => r.id),
    transfers.map((t) => t.id),
  );
  return results.map((r) => r.result);
}

async function balances(id: string): Promise<bigint[]> {
  const [a] = await ledger.lookupAccounts([id]);
  assert.ok(a, `account ${id} exists`);
  return [a.debitsPending, a.debitsPosted, a.creditsPending, a.creditsPosted];
}

test('account results, in precedence order, and retries', async () => {
  const id = uuidv7();
  const base = { id, currency: 'JPY', code: 7, userData: 'wallet' };
  const results = await ledger.createAccounts([
    { ...base, id: 'x' },
    { ...base, flags: { debitsMustNotExceedCredits: true, creditsMustNotExceedDebits: true } },
    { ...base, code: 0 },
    { ...base, currency: 'ZZZ' },
    base,
    base,
    { ...base, flags: { debitsMustNotExceedCredits: true } },
    { ...base, code: 8 },
    { ...base, currency: 'USD' },
    { ...base, userData: 'other' },
  ]);
  assert.deepEqual(
    results.map((r) => r.result),
    [
      'id_invalid',
      'flags_are_mutually_exclusive',
      'code_invalid',
      'currency_invalid',
      'ok',
      'exists',
      'exists_with_different_flags',
      'exists_with_different_code',
      'exists_with_different_currency',
      'exists_with_different_user_data',
    ],
  );
  assert.deepEqual(
    (await ledger.createAccounts([base])).map((r) => r.result),
    ['exists'],
  );
  const [stored] = await ledger.lookupAccounts([id, uuidv7()]);
  assert.equal(stored?.code, 7);
  assert.equal(stored?.userData, 'wallet');
  assert.deepEqual(await ledger.createAccounts([]), []);
});

test('a posted transfer moves the amount; a retry answers exists, never posts twice', async () => {
  const [a, b] = await accounts(2);
  const t = transfer(a!, b!, 500n, { userData: 'order-1' });
  assert.deepEqual(await codes([t]), ['ok']);
  assert.deepEqual(await codes([t, t]), ['exists', 'exists']);
  // Validation comes first: a retry must be a whole transfer again.
  assert.deepEqual(await codes([{ id: t.id, debitAccountId: a!, creditAccountId: b! }]), [
    'amount_must_be_positive',
  ]);
  assert.deepEqual(await balances(a!), [0n, 500n, 0n, 0n]);
  assert.deepEqual(await balances(b!), [0n, 0n, 0n, 500n]);
  const [stored] = await ledger.lookupTransfers([t.id]);
  assert.equal(stored?.amount, 500n);
  assert.equal(stored?.createdAt.getTime(), clock.nowMs());
  assert.equal(stored?.state, null);
});

test('a retry with different fields names the first different field', async () => {
  const [a, b, c] = await accounts(3);
  const p = transfer(a!, b!, 50n, { flags: { pending: true }, timeoutSeconds: 60 });
  const t = transfer(a!, b!, 5n, { userData: 'u' });
  assert.deepEqual(await codes([p, t]), ['ok', 'ok']);
  const post = { id: uuidv7(), pendingId: p.id, flags: { postPendingTransfer: true } };
  assert.deepEqual(await codes([post]), ['ok']);
  const results = await codes([
    { ...t, flags: { linked: false, pending: true } },
    { ...post, pendingId: t.id },
    { ...p, timeoutSeconds: 61 },
    { ...t, debitAccountId: c! },
    { ...t, creditAccountId: c! },
    { ...t, amount: 6n },
    { ...t, currency: 'USD' },
    { ...t, code: 2 },
    { ...t, userData: 'v' },
    { ...post, amount: 50n },
    { ...post, amount: 49n },
  ]);
  assert.deepEqual(results, [
    'exists_with_different_flags',
    'exists_with_different_pending_id',
    'exists_with_different_timeout',
    'exists_with_different_debit_account_id',
    'exists_with_different_credit_account_id',
    'exists_with_different_amount',
    'exists_with_different_currency',
    'exists_with_different_code',
    'exists_with_different_user_data',
    'exists',
    'exists_with_different_amount',
  ]);
});

test('account checks: not found, currencies', async () => {
  const [a, b] = await accounts(2);
  const [u] = await accounts(1, 'USD');
  const missing = uuidv7();
  assert.deepEqual(
    await codes([
      transfer(missing, b!, 1n),
      transfer(a!, missing, 1n),
      transfer(a!, u!, 1n),
      transfer(a!, b!, 1n, { currency: 'USD' }),
    ]),
    [
      'debit_account_not_found',
      'credit_account_not_found',
      'accounts_must_have_the_same_currency',
      'transfer_must_have_the_same_currency_as_accounts',
    ],
  );
  assert.deepEqual(await balances(a!), [0n, 0n, 0n, 0n]);
});

test('two-phase: full post, partial post, void, and every pending_transfer code', async () => {
  const [a, b, c] = await accounts(3);
  const p1 = transfer(a!, b!, 100n, { flags: { pending: true } });
  const p2 = transfer(a!, b!, 100n, { flags: { pending: true } });
  const p3 = transfer(a!, b!, 100n, { flags: { pending: true } });
  const plain = transfer(a!, b!, 1n);
  assert.deepEqual(await codes([p1, p2, p3, plain]), ['ok', 'ok', 'ok', 'ok']);
  assert.deepEqual(await balances(a!), [300n, 1n, 0n, 0n]);
  const post = (pendingId: string, extra: Partial<TransferInput> = {}): TransferInput => ({
    id: uuidv7(),
    pendingId,
    flags: { postPendingTransfer: true },
    ...extra,
  });
  const voidOf = (pendingId: string, extra: Partial<TransferInput> = {}): TransferInput => ({
    id: uuidv7(),
    pendingId,
    flags: { voidPendingTransfer: true },
    ...extra,
  });
  const results = await codes([
    post(uuidv7()),
    post(plain.id),
    post(p1.id, { debitAccountId: c! }),
    post(p1.id, { creditAccountId: c! }),
    post(p1.id, { currency: 'USD' }),
    post(p1.id, { code: 9 }),
    post(p1.id, { amount: 101n }),
    voidOf(p1.id, { amount: 99n }),
    post(p1.id, { debitAccountId: a!, creditAccountId: b!, currency: 'JPY', code: 1 }),
    post(p1.id),
    voidOf(p1.id),
    post(p2.id, { amount: 30n }),
    voidOf(p3.id, { amount: 100n }),
    post(p3.id),
    voidOf(p3.id),
  ]);
  assert.deepEqual(results, [
    'pending_transfer_not_found',
    'pending_transfer_not_pending',
    'pending_transfer_has_different_debit_account_id',
    'pending_transfer_has_different_credit_account_id',
    'pending_transfer_has_different_currency',
    'pending_transfer_has_different_code',
    'exceeds_pending_transfer_amount',
    'pending_transfer_has_different_amount',
    'ok',
    'pending_transfer_already_posted',
    'pending_transfer_already_posted',
    'ok',
    'ok',
    'pending_transfer_already_voided',
    'pending_transfer_already_voided',
  ]);
  // p1 posted in full (100), p2 posted 30 of 100 (the rest released), p3 voided.
  assert.deepEqual(await balances(a!), [0n, 131n, 0n, 0n]);
  assert.deepEqual(await balances(b!), [0n, 0n, 0n, 131n]);
  const stored = await ledger.lookupTransfers([p1.id, p2.id, p3.id]);
  assert.deepEqual(
    stored.map((t) => t.state),
    ['posted', 'posted', 'voided'],
  );
  const checked = await ledger.check();
  assert.equal(checked.ok, true);
  const [n] = await db.sql<{ n: bigint }[]>`select count(*) as n from ledger_transfers`;
  assert.ok(checked.ok && checked.transfers === Number(n!.n));
});

test('pending transfers expire by the clock, then release their amount when swept', async () => {
  const [a, b] = await accounts(2);
  const p = transfer(a!, b!, 40n, { flags: { pending: true }, timeoutSeconds: 10 });
  const q = transfer(a!, b!, 2n, { flags: { pending: true }, timeoutSeconds: 20 });
  const forever = transfer(a!, b!, 1n, { flags: { pending: true } });
  assert.deepEqual(await codes([p, q, forever]), ['ok', 'ok', 'ok']);
  clock.advanceMs(9_999);
  assert.equal(await ledger.expirePendingTransfers(), 0);
  clock.advanceMs(1);
  // Past the deadline but not yet swept: the amount is still reserved, posting is refused.
  const post = { id: uuidv7(), pendingId: p.id, flags: { postPendingTransfer: true } };
  assert.deepEqual(await codes([post]), ['pending_transfer_expired']);
  assert.deepEqual(await balances(a!), [43n, 0n, 0n, 0n]);
  assert.equal(await ledger.expirePendingTransfers(), 1);
  assert.equal(await ledger.expirePendingTransfers(), 0);
  assert.deepEqual(await balances(a!), [3n, 0n, 0n, 0n]);
  assert.deepEqual(await balances(b!), [0n, 0n, 3n, 0n]);
  assert.deepEqual(await codes([post]), ['pending_transfer_expired']);
  const [stored] = await ledger.lookupTransfers([p.id]);
  assert.equal(stored?.state, 'expired');
  clock.advanceMs(10_000);
  assert.equal(await ledger.expirePendingTransfers(), 1);
  assert.deepEqual(await balances(a!), [1n, 0n, 0n, 0n]);
  const audit = await db.sql`select 1 from audit_entries where action = 'ledger.transfer.expired'`;
  assert.equal(audit.length, 2);
  assert.equal((await ledger.check()).ok, true);
});

test('linked chains succeed or fail as one; failed ids stay free', async () => {
  const [a, b] = await accounts(2);
  const [w] = await accounts(1, 'JPY', { debitsMustNotExceedCredits: true });
  const linked = { linked: true };
  const chain = [
    transfer(a!, w!, 10n, { flags: linked }),
    transfer(w!, b!, 10n, { flags: linked }),
    transfer(w!, b!, 1n),
  ];
  assert.deepEqual(await codes(chain), [
    'linked_event_failed',
    'linked_event_failed',
    'exceeds_credits',
  ]);
  assert.deepEqual(await balances(w!), [0n, 0n, 0n, 0n]);
  assert.deepEqual(await ledger.lookupTransfers(chain.map((t) => t.id)), []);
  const good = [transfer(a!, w!, 10n, { flags: linked }), transfer(w!, b!, 10n)];
  assert.deepEqual(await codes([...good, transfer(a!, b!, 1n, { flags: linked })]), [
    'ok',
    'ok',
    'linked_event_chain_open',
  ]);
  // The first transfer fails on its own; the rest of its chain is not evaluated.
  const [x, y] = [transfer(a!, b!, 0n, { flags: linked }), transfer(a!, b!, 1n)];
  assert.deepEqual(await codes([x, y, { ...x, amount: 1n, flags: {} }]), [
    'amount_must_be_positive',
    'linked_event_failed',
    'ok',
  ]);
  const audit = await db.sql`
    select 1 from audit_entries where subject_id = any(${chain.map((t) => t.id)}::text[])`;
  assert.equal(audit.length, 0);
});

test('balance limits refuse overdrafts, pending reservations count', async () => {
  const [a, b] = await accounts(2);
  const [wallet] = await accounts(1, 'JPY', { debitsMustNotExceedCredits: true });
  const [capped] = await accounts(1, 'JPY', { creditsMustNotExceedDebits: true });
  assert.deepEqual(await codes([transfer(a!, wallet!, 100n)]), ['ok']);
  assert.deepEqual(
    await codes([
      transfer(wallet!, b!, 60n, { flags: { pending: true } }),
      transfer(wallet!, b!, 41n),
      transfer(wallet!, b!, 40n),
      transfer(a!, capped!, 1n),
    ]),
    ['ok', 'exceeds_credits', 'ok', 'exceeds_debits'],
  );
  assert.deepEqual(await balances(wallet!), [60n, 40n, 0n, 100n]);
});

test('overflow of int8 balances is refused', async () => {
  const [a, b, c] = await accounts(3);
  const max = 9_223_372_036_854_775_807n;
  assert.deepEqual(
    await codes([transfer(a!, b!, max), transfer(a!, c!, 1n), transfer(c!, b!, 1n)]),
    ['ok', 'overflows_debits', 'overflows_credits'],
  );
  assert.deepEqual(await balances(b!), [0n, 0n, 0n, max]);
});

test('batch limits: empty answers nothing, too large is a programming error', async () => {
  assert.deepEqual(await ledger.createTransfers([]), []);
  const [a, b] = await accounts(2);
  const many = Array.from({ length: limits.ledgerTransferBatchSizeMax + 1 }, () =>
    transfer(a!, b!, 1n),
  );
  await assert.rejects(ledger.createTransfers(many), /batch too large/);
});

test('createTransfersInTx commits or rolls back with the caller', async () => {
  const [a, b] = await accounts(2);
  const t = transfer(a!, b!, 7n);
  await assert.rejects(
    db.sql.begin(async (tx) => {
      assert.deepEqual(
        (await ledger.createTransfersInTx(tx, [t])).map((r) => r.result),
        ['ok'],
      );
      throw new Error('caller failed later');
    }),
    /caller failed later/,
  );
  assert.deepEqual(await balances(a!), [0n, 0n, 0n, 0n]);
  assert.deepEqual(await ledger.lookupTransfers([t.id]), []);
  await db.sql.begin((tx) =>
    ledger.createTransfersInTx(tx, [t], { actor: { type: 'operator', id: 'op1' } }),
  );
  assert.deepEqual(await balances(a!), [0n, 7n, 0n, 0n]);
  // The batch's one entry names the batch the transfer row names, and commits to the
  // transfer by the Merkle root: for one transfer, its leaf.
  const [entry] = await db.sql<{ action: string; actor_id: string; detail: string }[]>`
    select action, actor_id, detail from audit_entries
    where subject_type = 'ledger_batch'
      and subject_id = (select batch_id::text from ledger_transfers where id = ${t.id})`;
  assert.equal(entry?.action, 'ledger.batch.created');
  assert.equal(entry?.actor_id, 'op1');
  const [stored] = await ledger.lookupTransfers([t.id]);
  const leaf = merkleLeafHash(canonicalTransfer(asRecord(stored!)));
  assert.equal(entry?.detail, `{"root":"${leaf.toString('hex')}","transfers":1}`);
});

test('check() names the account whose balance was edited behind the ledger', async () => {
  const [a, b] = await accounts(2);
  assert.deepEqual(await codes([transfer(a!, b!, 10n)]), ['ok']);
  assert.equal((await ledger.check()).ok, true);
  await db.sql`update ledger_accounts set credits_posted = credits_posted + 5 where id = ${b!}`;
  const result = await ledger.check();
  assert.equal(result.ok, false);
  assert.ok(!result.ok && result.discrepancy.includes(b!), JSON.stringify(result));
  assert.ok(!result.ok && result.discrepancy.includes('15') && result.discrepancy.includes('10'));
  await db.sql`update ledger_accounts set credits_posted = credits_posted - 5 where id = ${b!}`;
  assert.equal((await ledger.check()).ok, true);
});

test('auditInto hands the entries to the caller, who appends them in its transaction', async () => {
  const [a, b] = await accounts(2);
  const audit = createAudit({ clock, sql: db.sql });
  const count = async () =>
    Number((await db.sql<{ n: bigint }[]>`select count(*) as n from audit_entries`)[0]!.n);
  const before = await count();
  const t = transfer(a!, b!, 5n);
  const entries: Parameters<typeof audit.append>[1][number][] = [];
  await db.sql.begin(async (tx) => {
    const [r] = await ledger.createTransfersInTx(tx, [t], {
      actor: { type: 'system' },
      auditInto: entries,
    });
    assert.equal(r?.result, 'ok');
    assert.equal(await count(), before, 'the ledger appended nothing itself');
    await audit.append(tx, entries);
  });
  assert.equal(entries.length, 1);
  const [row] = await db.sql<{ batch_id: string }[]>`
    select batch_id::text from ledger_transfers where id = ${t.id}`;
  assert.deepEqual(entries[0]?.subject, { type: 'ledger_batch', id: row?.batch_id });
  assert.equal(entries[0]?.action, 'ledger.batch.created');
  assert.equal(await count(), before + 1);
  assert.equal((await audit.verify()).ok, true);
});

test('a full batch is stored part by part; a failed chain in it leaves no row', async () => {
  const big = createLedger({
    sql: db.sql,
    clock,
    audit: createAudit({ clock }),
    limits: { ...limits, ledgerTransferBatchSizeMax: 8190 },
  });
  const [a, b] = await accounts(2);
  const [w] = await accounts(1, 'JPY', { debitsMustNotExceedCredits: true });
  // 8,190 transfers: several COPY parts. In the middle, a chain whose last member would take
  // the wallet below zero, so the whole chain fails after earlier parts were sent.
  const batch: TransferInput[] = Array.from({ length: 8190 }, () => transfer(a!, b!, 1n));
  batch[4000] = transfer(a!, b!, 5n, { flags: { linked: true } });
  batch[4001] = transfer(b!, a!, 7n, { flags: { linked: true } });
  batch[4002] = transfer(w!, a!, 1n);
  const results = await big.createTransfers(batch);
  const failed = results.filter((r) => r.result !== 'ok').map((r) => `${r.index}:${r.result}`);
  assert.deepEqual(failed, [
    '4000:linked_event_failed',
    '4001:linked_event_failed',
    '4002:exceeds_credits',
  ]);
  const stored = await big.lookupTransfers(batch.map((t) => t.id));
  assert.equal(stored.length, 8187);
  assert.deepEqual(await balances(a!), [0n, 8187n, 0n, 0n]);
  assert.deepEqual(await balances(b!), [0n, 0n, 0n, 8187n]);
  assert.equal((await big.check()).ok, true);
});

test('small batches plan once per connection; the caller keeps its plan mode', async () => {
  const [a, b] = await accounts(2);
  // One transaction is one connection: the plan counts of its prepared statements are the
  // session's, so the test reads them before and after. (The pattern is split so that this
  // statement, also prepared, does not match itself.)
  const plans = (tx: Tx) =>
    tx<{ generic: bigint; custom: bigint }[]>`
      select coalesce(sum(generic_plans), 0)::int8 as generic,
             coalesce(sum(custom_plans), 0)::int8 as custom
      from pg_prepared_statements
      where statement like '%for update%exists (select from unnest%ledger' || '_transfers%'`;
  const [before, after, mode] = await db.sql.begin(async (tx) => {
    await tx`select set_config('plan_cache_mode', 'force_custom_plan', true)`;
    const [first] = await ledger.createTransfersInTx(tx, [transfer(a!, b!, 1n)]);
    assert.equal(first?.result, 'ok');
    const before = await plans(tx);
    for (let i = 0; i < 8; i++) {
      const [r] = await ledger.createTransfersInTx(tx, [transfer(a!, b!, 1n)]);
      assert.equal(r?.result, 'ok');
    }
    const mode = await tx<{ mode: string }[]>`select current_setting('plan_cache_mode') as mode`;
    return [before[0]!, (await plans(tx))[0]!, mode[0]?.mode];
  });
  assert.deepEqual([after.generic - before.generic, after.custom - before.custom], [8n, 0n]);
  assert.equal(mode, 'force_custom_plan');
});

test('a one-transfer batch of its own plans once per connection', async () => {
  const [a, b] = await accounts(2);
  const [w] = await accounts(1, 'JPY', { debitsMustNotExceedCredits: true });
  // One connection, so the session's prepared statements are the ones the batches ran.
  const sql = connect(db.url, { connectionsMax: 1 });
  try {
    const own = createLedger({ sql, clock, audit: createAudit({ clock }), limits });
    // Plans made and used per statement: the lock, and the write (its WITH of the transfers).
    const plans = async () => {
      const rows = await sql<{ kind: string; generic: bigint; custom: bigint }[]>`
        select case when statement like '%for update)%union all%' then 'lock' else 'write' end
                 as kind,
               coalesce(sum(generic_plans), 0)::int8 as generic,
               coalesce(sum(custom_plans), 0)::int8 as custom
        from pg_prepared_statements
        where statement like '%from ledger' || '_accounts where id = any%for update)%union all%'
           or statement like '%with t as (%insert into ledger' || '_transfers%'
        group by 1`;
      const of = (kind: string) => rows.find((r) => r.kind === kind) ?? { generic: 0n, custom: 0n };
      return { lock: of('lock'), write: of('write') };
    };
    const post = async (dr: string) => {
      const [r] = await own.createTransfers([transfer(dr, b!, 1n)]);
      assert.equal(r?.result, 'ok');
    };
    // The ledger knows a and b from their lock's read: the first batch reads them, the next
    // ones decide without reading, and their write, alone in its transaction, switches no
    // plan mode: PostgreSQL plans its first five runs for their values, then keeps the
    // generic plan. w has a balance limit: its batches lock it and switch.
    for (let i = 0; i < 6; i++) await post(a!);
    await own.createTransfers([transfer(b!, w!, 5n)]);
    await post(w!);
    const before = await plans();
    for (let i = 0; i < 4; i++) {
      await post(a!);
      await post(w!);
    }
    const after = await plans();
    const used = (k: 'lock' | 'write') => [
      after[k].generic - before[k].generic,
      after[k].custom - before[k].custom,
    ];
    assert.deepEqual(used('write'), [8n, 0n]);
    assert.deepEqual(used('lock'), [4n, 0n], 'only the batches naming w read it');
    const [mode] = await sql<{ mode: string }[]>`select current_setting('plan_cache_mode') as mode`;
    assert.equal(mode?.mode, 'auto', 'the switch ended with its transaction');
  } finally {
    await sql.end({ timeout: 5 });
  }
});

test('a batch decided without reading its accounts falls back to reading them', async () => {
  const [a, b, c, d] = await accounts(4);
  const max = 9_223_372_036_854_775_807n;
  // Known from their creation: each batch below is decided on facts first. Only the read
  // balances tell that the second would pass int8: its write fails and it runs again.
  assert.deepEqual(await codes([transfer(a!, b!, max)]), ['ok']);
  assert.deepEqual(await codes([transfer(a!, c!, 1n)]), ['overflows_debits']);
  assert.deepEqual(await codes([transfer(c!, b!, 1n)]), ['overflows_credits']);
  assert.deepEqual(await balances(a!), [0n, max, 0n, 0n]);
  // An account the ledger knows that is not stored (a database emptied under it): the write
  // finds it missing, and the batch, run again reading, answers as for any missing account.
  await db.sql`delete from ledger_accounts where id = ${d!}::uuid`;
  assert.deepEqual(await codes([transfer(c!, d!, 1n)]), ['credit_account_not_found']);
  assert.deepEqual(await codes([transfer(c!, a!, 1n)]), ['ok']);
  assert.deepEqual(await balances(c!), [0n, 1n, 0n, 0n]);
});

test('a batch whose audit entry the export must hear of runs in a transaction', async () => {
  const [a, b] = await accounts(2);
  const told: string[] = [];
  const audit = createAudit({
    clock,
    exported: (e) => e.action === 'ledger.batch.created',
    onAppend: async (tx, entries) => {
      // Told inside the batch's transaction: the hook's statement runs in it.
      const [row] = await tx<{ open: boolean }[]>`select now() <> statement_timestamp() as open`;
      told.push(`${entries[0]?.action} ${row?.open}`);
    },
  });
  const hooked = createLedger({ sql: db.sql, clock, audit, limits });
  // Known to it (it read them), so the second batch would be decided on facts.
  for (let i = 0; i < 2; i++) {
    const [r] = await hooked.createTransfers([transfer(a!, b!, 1n)]);
    assert.equal(r?.result, 'ok');
  }
  assert.deepEqual(told, ['ledger.batch.created true', 'ledger.batch.created true']);
  assert.deepEqual(await balances(b!), [0n, 0n, 0n, 2n]);
});

test('a large batch takes its ids for new; stored ones still answer exists', async () => {
  const [a, b] = await accounts(2);
  const [w] = await accounts(1, 'JPY', { debitsMustNotExceedCredits: true });
  // Over INSERT_TRANSFERS_MAX (64): the batch goes in by COPY, which a stored id fails.
  const batch = Array.from({ length: 80 }, () => transfer(a!, b!, 1n));
  assert.ok((await codes(batch)).every((c) => c === 'ok'));
  assert.ok((await codes(batch)).every((c) => c === 'exists'));
  // One stored id among new ones, and one sent again with another amount.
  const mixed = Array.from({ length: 80 }, () => transfer(a!, b!, 1n));
  mixed[10] = batch[10]!;
  mixed[20] = { ...batch[20]!, amount: 2n };
  const answers = await codes(mixed);
  assert.equal(answers[10], 'exists');
  assert.equal(answers[20], 'exists_with_different_amount');
  assert.equal(answers.filter((c) => c === 'ok').length, 78);
  // A spend from a wallet that its replay would now overdraw: the replay is refused by the
  // balance check, so only the look-up before the write can answer `exists`.
  const [fund] = await codes([transfer(a!, w!, 5n)]);
  assert.equal(fund, 'ok');
  const spend = transfer(w!, b!, 5n);
  const spends = [spend, ...Array.from({ length: 79 }, () => transfer(a!, b!, 1n))];
  assert.ok((await codes(spends)).every((c) => c === 'ok'));
  const replay = [spend, ...Array.from({ length: 79 }, () => transfer(a!, b!, 1n))];
  const replayed = await codes(replay);
  assert.equal(replayed[0], 'exists');
  assert.equal(replayed.filter((c) => c === 'ok').length, 79);
  assert.deepEqual(await balances(w!), [0n, 5n, 0n, 5n]);
  const sent = new Set([...batch, ...mixed, ...spends, ...replay].map((t) => t.id));
  assert.equal((await ledger.lookupTransfers([...sent])).length, 80 + 78 + 80 + 79);
  assert.equal((await ledger.check()).ok, true);
});

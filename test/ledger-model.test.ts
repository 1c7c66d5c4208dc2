import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { createAudit } from '../src/audit/index.ts';
import { loadConfig } from '../src/config.ts';
import { manualClock } from '../src/lib/clock.ts';
import { uuidv7 } from '../src/lib/ids.ts';
import { createLedger, type Ledger, type TransferInput } from '../src/ledger/index.ts';
import { createTestDb, type TestDb } from './helpers/db.ts';
import { LedgerModel, type ModelAccountInput } from './helpers/ledger-model.ts';

// Model-based test: random batches of transfers — retries of the same ids with other
// fields, linked chains, pending/post/void with and without amounts, timeouts with the clock
// moved between batches, overdrafts, overflows and invalid references — applied both to the
// real ledger on PostgreSQL and to the small model in helpers/ledger-model.ts. Every result
// code, every balance and every stored transfer must agree, and check() must pass.

const INT8_MAX = 9_223_372_036_854_775_807n;
const ACCOUNT_POOL = 6; // the last one is never created
const TRANSFER_POOL = 12;
const limits = loadConfig({ KINKO_ENV: 'test' }).limits;
const clock = manualClock();
let db: TestDb;
let ledger: Ledger;

before(async () => {
  db = await createTestDb();
  ledger = createLedger({ sql: db.sql, clock, audit: createAudit({ clock }), limits });
});
after(() => db.close());

// Ids 0..4 of the transfer pool are used by pending transfers and the rest by others, so
// posts and voids usually find a pending transfer; pendingRef 5 names a non-pending one.
const PENDING_IDS = 5;
const weighted = <T>(common: T[], rare: T[]) =>
  fc.oneof(
    { weight: 8, arbitrary: fc.constantFrom(...common) },
    { weight: 1, arbitrary: fc.constantFrom(...rare) },
  );
const transferSpec = fc.record({
  id: fc.nat(TRANSFER_POOL - 1),
  kind: fc.constantFrom(
    'plain',
    'plain',
    'plain',
    'pending',
    'pending',
    'pending',
    'post',
    'post',
    'void',
    'bad',
    'retry',
  ),
  dr: weighted([0, 1, 2, 3], [4, 5]),
  crOffset: weighted([1, 2, 3], [0, 4, 5]),
  amount: fc.oneof(
    { weight: 30, arbitrary: fc.bigInt(1n, 60n) },
    { weight: 1, arbitrary: fc.constantFrom(0n, -5n, INT8_MAX) },
  ),
  omitAmount: fc.boolean(),
  currency: weighted(['JPY'], ['USD', 'QQQ']),
  code: weighted([1], [2, 0, 65_536]),
  linked: fc.oneof(
    { weight: 5, arbitrary: fc.constant(false) },
    { weight: 1, arbitrary: fc.constant(true) },
  ),
  timeout: fc.constantFrom(0, 0, 1, 2, 5),
  pendingRef: weighted([0, 1, 2, 3, 4], [5]),
  giveFields: fc.constantFrom(false, false, true),
  userData: fc.option(fc.constantFrom('a', 'b'), { freq: 3 }),
  bad: fc.nat(4),
});
type Spec = typeof transferSpec extends fc.Arbitrary<infer T> ? T : never;

const commands = fc.array(
  fc.record({
    batch: fc.array(transferSpec, { minLength: 1, maxLength: 12 }),
    advanceMs: fc.constantFrom(0, 0, 500, 1000, 2500),
  }),
  { minLength: 1, maxLength: 10 },
);

function toInput(s: Spec, accounts: string[], ids: string[]): TransferInput {
  const userData = s.userData ?? undefined;
  const own =
    s.kind === 'pending'
      ? s.id % PENDING_IDS
      : PENDING_IDS + (s.id % (TRANSFER_POOL - PENDING_IDS));
  const base = { id: ids[own]!, userData };
  const cr = (s.dr + s.crOffset) % ACCOUNT_POOL;
  if (s.kind === 'post' || s.kind === 'void') {
    const flags = s.kind === 'post' ? { postPendingTransfer: true } : { voidPendingTransfer: true };
    return {
      ...base,
      flags: { ...flags, linked: s.linked },
      pendingId: ids[s.pendingRef === PENDING_IDS ? TRANSFER_POOL - 1 : s.pendingRef]!,
      amount: s.omitAmount ? undefined : s.amount,
      ...(s.giveFields
        ? { debitAccountId: accounts[s.dr]!, currency: s.currency, code: s.code }
        : {}),
      ...(s.giveFields && s.omitAmount ? { creditAccountId: accounts[cr]! } : {}),
    };
  }
  const plain: TransferInput = {
    ...base,
    debitAccountId: accounts[s.dr]!,
    creditAccountId: accounts[cr]!,
    amount: s.amount,
    currency: s.currency,
    code: s.code,
    flags: { linked: s.linked, pending: s.kind === 'pending' },
    timeoutSeconds: s.kind === 'pending' ? s.timeout : undefined,
  };
  if (s.kind !== 'bad') return plain;
  const broken: TransferInput[] = [
    { ...plain, timeoutSeconds: 3 },
    { ...plain, flags: { pending: true, postPendingTransfer: true } },
    { ...plain, pendingId: ids[s.pendingRef]! },
    { ...plain, id: 'not-a-uuid' },
    { ...plain, debitAccountId: undefined },
  ];
  return broken[s.bad]!;
}

async function compareState(model: LedgerModel, accounts: string[], ids: string[]): Promise<void> {
  const real = await ledger.lookupAccounts(accounts);
  assert.equal(real.length, model.accounts.size);
  const sums = new Map<string, bigint[]>();
  for (const a of real) {
    const m = model.accounts.get(a.id)!;
    const got = [a.debitsPending, a.debitsPosted, a.creditsPending, a.creditsPosted];
    assert.deepEqual(got, [m.dp, m.dpo, m.cp, m.cpo], `balances of account ${a.id}`);
    assert.ok(got.every((v) => v >= 0n));
    if (m.limitDebits) assert.ok(m.dp + m.dpo <= m.cpo);
    if (m.limitCredits) assert.ok(m.cp + m.cpo <= m.dpo);
    const s = sums.get(a.currency) ?? [0n, 0n, 0n, 0n];
    sums.set(
      a.currency,
      s.map((v, i) => v + got[i]!),
    );
  }
  for (const [dp, dpo, cp, cpo] of sums.values()) {
    assert.equal(dpo, cpo, 'Σ debits posted = Σ credits posted');
    assert.equal(dp, cp, 'Σ debits pending = Σ credits pending');
  }
  const stored = await ledger.lookupTransfers(ids);
  assert.deepEqual(
    stored.map((t) => [t.id, t.debitAccountId, t.creditAccountId, t.amount, t.pendingId, t.state]),
    ids.flatMap((id) => {
      const m = model.transfers.get(id);
      return m ? [[m.id, m.dr, m.cr, m.amount, m.pendingId, m.state]] : [];
    }),
  );
}

test('the ledger on PostgreSQL agrees with the model on every result and balance', async () => {
  await fc.assert(
    fc.asyncProperty(commands, async (cmds) => {
      const accounts = Array.from({ length: ACCOUNT_POOL }, () => uuidv7());
      const ids = Array.from({ length: TRANSFER_POOL }, () => uuidv7());
      const model = new LedgerModel(limits.ledgerPendingTimeoutSecondsMax);
      const accountInputs: ModelAccountInput[] = [
        { id: accounts[0]!, currency: 'JPY', code: 1 },
        { id: accounts[1]!, currency: 'JPY', code: 1, userData: 'merchant' },
        { id: accounts[2]!, currency: 'JPY', code: 2, flags: { debitsMustNotExceedCredits: true } },
        { id: accounts[3]!, currency: 'JPY', code: 3, flags: { creditsMustNotExceedDebits: true } },
        { id: accounts[4]!, currency: 'USD', code: 1 },
        { id: accounts[0]!, currency: 'JPY', code: 1 },
        { id: accounts[1]!, currency: 'JPY', code: 1 },
        { id: accounts[5]!, currency: 'QQQ', code: 1 },
      ];
      const accountResults = await ledger.createAccounts(accountInputs);
      assert.deepEqual(
        accountResults.map((r) => r.result),
        model.createAccounts(accountInputs),
      );
      const sent: TransferInput[] = [];
      for (const cmd of cmds) {
        clock.advanceMs(cmd.advanceMs);
        assert.equal(await ledger.expirePendingTransfers(), model.expire(clock.nowMs()), 'expired');
        // A retry re-sends an earlier input of this run exactly, as a client would.
        const inputs = cmd.batch.map((s) =>
          s.kind === 'retry' && sent.length > 0
            ? sent[s.id % sent.length]!
            : toInput({ ...s, kind: s.kind === 'retry' ? 'plain' : s.kind }, accounts, ids),
        );
        sent.push(...inputs);
        const results = await ledger.createTransfers(inputs);
        assert.deepEqual(
          results.map((r) => r.result),
          model.createTransfers(inputs, clock.nowMs()),
        );
        await compareState(model, accounts, ids);
      }
      // Expire whatever this run left with a timeout, so later runs count only their own.
      clock.advanceMs(10_000);
      assert.equal(await ledger.expirePendingTransfers(), model.expire(clock.nowMs()), 'expired');
      await compareState(model, accounts, ids);
      const checked = await ledger.check();
      assert.ok(checked.ok, JSON.stringify(checked));
    }),
    {
      numRuns: Number(process.env['LEDGER_MODEL_RUNS'] ?? 100),
      // Each run touches the database, so shrinking a failure is bounded in time: the
      // counterexample reported may then be only partly shrunk.
      interruptAfterTimeLimit: 60_000,
    },
  );
});

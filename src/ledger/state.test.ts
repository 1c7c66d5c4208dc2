import { test } from 'node:test';
import assert from 'node:assert/strict';
import { uuidv7 } from '../lib/ids.ts';
import {
  ACCOUNT_FLAG,
  INT8_MAX,
  NIL_UUID,
  applyTransfers,
  applyTransfersInChunks,
  validateTransfer,
  type AccountState,
  type BatchState,
  type TransferInput,
} from './state.ts';
import { TRANSFER_RESULTS } from './errors.ts';

// The state machine on its own, without a database: validation precedence and linked-chain
// rollback. The database-backed behaviour is in ledger.test.ts.

const TIMEOUT_MAX = 3600;

function account(currency = 'JPY', flags = 0): AccountState {
  return {
    id: uuidv7(),
    currency,
    code: 1,
    flags,
    userData: null,
    createdAtMs: 0,
    debitsPending: 0n,
    debitsPosted: 0n,
    creditsPending: 0n,
    creditsPosted: 0n,
  };
}

function setup(...accounts: AccountState[]): BatchState {
  return { accounts: new Map(accounts.map((a) => [a.id, a])), transfers: new Map() };
}

const run = (state: BatchState, inputs: TransferInput[], nowMs = 1000) =>
  applyTransfers(state, inputs, { nowMs, pendingTimeoutSecondsMax: TIMEOUT_MAX });

test('validation answers the first failing check in precedence order', () => {
  const [a, b] = [uuidv7(), uuidv7()];
  const ok: TransferInput = {
    id: uuidv7(),
    debitAccountId: a,
    creditAccountId: b,
    amount: 1n,
    currency: 'JPY',
    code: 1,
  };
  const cases: [Partial<TransferInput>, string | undefined][] = [
    [{}, undefined],
    [{ id: 'nope' }, 'id_invalid'],
    [{ id: NIL_UUID }, 'id_invalid'],
    [{ flags: { pending: true, voidPendingTransfer: true } }, 'flags_are_mutually_exclusive'],
    [{ pendingId: uuidv7() }, 'pending_id_must_be_zero'],
    [{ flags: { postPendingTransfer: true } }, 'pending_id_must_not_be_zero'],
    [{ flags: { voidPendingTransfer: true }, pendingId: 'x' }, 'pending_id_invalid'],
    [{ id: a, flags: { voidPendingTransfer: true }, pendingId: a }, 'pending_id_must_be_different'],
    [{ timeoutSeconds: 5 }, 'timeout_reserved_for_pending_transfer'],
    [{ flags: { pending: true }, timeoutSeconds: TIMEOUT_MAX + 1 }, 'timeout_exceeds_limit'],
    [{ debitAccountId: undefined }, 'debit_account_id_invalid'],
    [{ creditAccountId: NIL_UUID }, 'credit_account_id_invalid'],
    [{ creditAccountId: a }, 'accounts_must_be_different'],
    [{ amount: 0n }, 'amount_must_be_positive'],
    [{ amount: undefined }, 'amount_must_be_positive'],
    [{ code: 0 }, 'code_invalid'],
    [{ code: 65_536 }, 'code_invalid'],
    [{ currency: 'XXY' }, 'currency_invalid'],
    // A post or void needs only its pending id; an amount it gives must be positive.
    [
      { flags: { postPendingTransfer: true }, pendingId: uuidv7(), debitAccountId: undefined },
      undefined,
    ],
    [
      { flags: { postPendingTransfer: true }, pendingId: uuidv7(), amount: 0n },
      'amount_must_be_positive',
    ],
    // Earlier checks win over later ones.
    [{ id: 'bad', amount: 0n, code: 0 }, 'id_invalid'],
    [{ amount: -1n, code: 0, currency: 'no' }, 'amount_must_be_positive'],
  ];
  for (const [change, expected] of cases) {
    assert.equal(
      validateTransfer({ ...ok, ...change }, TIMEOUT_MAX),
      expected,
      JSON.stringify(change, (_, v) => (typeof v === 'bigint' ? `${v}n` : v)),
    );
  }
});

test('validation with the locked accounts known answers as without them', () => {
  const [a, b] = [uuidv7(), uuidv7()];
  const ok: TransferInput = {
    id: uuidv7(),
    debitAccountId: a,
    creditAccountId: b,
    amount: 1n,
    currency: 'JPY',
    code: 1,
  };
  const known = new Map([
    [a, 1],
    [b, 2],
  ]);
  assert.equal(validateTransfer(ok, TIMEOUT_MAX, known), undefined);
  const bad = { ...ok, creditAccountId: 'not-an-id' };
  assert.equal(validateTransfer(bad, TIMEOUT_MAX, known), 'credit_account_id_invalid');
  const nil = { ...ok, debitAccountId: '00000000-0000-0000-0000-000000000000' };
  assert.equal(validateTransfer(nil, TIMEOUT_MAX, known), 'debit_account_id_invalid');
  assert.equal(validateTransfer({ ...ok, id: 'x' }, TIMEOUT_MAX, known), 'id_invalid');
});

test('result codes are unique and end with ok', () => {
  assert.equal(new Set(TRANSFER_RESULTS).size, TRANSFER_RESULTS.length);
  assert.equal(TRANSFER_RESULTS[TRANSFER_RESULTS.length - 1], 'ok');
});

test('a failing transfer in a linked chain undoes the chain, including pending states', () => {
  const a = account('JPY');
  const b = account('JPY', ACCOUNT_FLAG.debitsMustNotExceedCredits);
  const state = setup(a, b);
  const first = run(state, [
    {
      id: uuidv7(),
      debitAccountId: a.id,
      creditAccountId: b.id,
      amount: 10n,
      currency: 'JPY',
      code: 1,
      flags: { pending: true },
    },
  ]);
  assert.deepEqual(first.results, ['ok']);
  const pendingId = first.created[0]!.id;
  const ids = [uuidv7(), uuidv7(), uuidv7(), uuidv7()];
  const out = run(state, [
    { id: ids[0]!, flags: { linked: true, postPendingTransfer: true }, pendingId },
    {
      id: ids[1]!,
      debitAccountId: a.id,
      creditAccountId: b.id,
      amount: 5n,
      currency: 'JPY',
      code: 1,
      flags: { linked: true },
    },
    {
      id: ids[2]!,
      debitAccountId: b.id,
      creditAccountId: a.id,
      amount: 100n,
      currency: 'JPY',
      code: 1,
      flags: { linked: true },
    },
    {
      id: ids[3]!,
      debitAccountId: a.id,
      creditAccountId: b.id,
      amount: 1n,
      currency: 'JPY',
      code: 1,
    },
  ]);
  assert.deepEqual(out.results, [
    'linked_event_failed',
    'linked_event_failed',
    'exceeds_credits',
    'linked_event_failed',
  ]);
  assert.deepEqual(out.created, []);
  assert.deepEqual(out.resolved, []);
  assert.equal(state.transfers.get(pendingId)?.state, 'pending');
  assert.equal(a.debitsPending, 10n);
  assert.equal(a.debitsPosted, 0n);
  assert.equal(b.creditsPosted, 0n);
  for (const id of ids) assert.equal(state.transfers.has(id), false);
});

test('an open chain at the end of the batch fails without being applied', () => {
  const [a, b] = [account(), account()];
  const state = setup(a, b);
  const t = (linked: boolean): TransferInput => ({
    id: uuidv7(),
    debitAccountId: a.id,
    creditAccountId: b.id,
    amount: 1n,
    currency: 'JPY',
    code: 1,
    flags: { linked },
  });
  const out = run(state, [t(false), t(true), t(true)]);
  assert.deepEqual(out.results, ['ok', 'linked_event_failed', 'linked_event_chain_open']);
  assert.equal(a.debitsPosted, 1n);
});

test('overflow is refused before it can happen', () => {
  const [a, b, c] = [account(), account(), account()];
  const state = setup(a, b, c);
  const t = (dr: AccountState, cr: AccountState, amount: bigint): TransferInput => ({
    id: uuidv7(),
    debitAccountId: dr.id,
    creditAccountId: cr.id,
    amount,
    currency: 'JPY',
    code: 1,
  });
  const out = run(state, [t(a, b, INT8_MAX), t(a, c, 1n), t(c, b, 1n), t(c, a, INT8_MAX + 1n)]);
  assert.deepEqual(out.results, [
    'ok',
    'overflows_debits',
    'overflows_credits',
    'overflows_debits',
  ]);
});

test('transfers are handed out in parts once final: a failing chain takes back none', () => {
  // Wallet w may not go below zero and holds 5; m and n have no limit. Chains of three, some
  // failing at their last member (w would go below zero), between lone transfers.
  for (const chunk of [1, 2, 3, 1000]) {
    const w = account('JPY', ACCOUNT_FLAG.debitsMustNotExceedCredits);
    const [m, n] = [account(), account()];
    w.creditsPosted = 5n;
    const state = setup(w, m, n);
    const t = (debit: AccountState, credit: AccountState, amount: bigint, linked = false) => ({
      id: uuidv7(),
      debitAccountId: debit.id,
      creditAccountId: credit.id,
      amount,
      currency: 'JPY',
      code: 1,
      ...(linked ? { flags: { linked: true } } : {}),
    });
    const inputs: TransferInput[] = [
      t(m, n, 1n),
      t(m, n, 1n, true),
      t(n, m, 1n, true),
      t(w, m, 9n), // fails: the chain before it is taken back
      t(w, m, 2n),
      t(m, n, 1n, true),
      t(m, w, 1n, true),
      t(w, n, 3n), // w has 3 + 1 left: passes
      t(n, m, 4n),
      t(m, n, 1n, true), // open at the end of the batch: fails
    ];
    const steps = applyTransfersInChunks(
      state,
      inputs,
      { nowMs: 1000, pendingTimeoutSecondsMax: 1 },
      chunk,
    );
    const parts = [];
    let step = steps.next();
    for (; !step.done; step = steps.next()) parts.push(step.value);
    const outcome = step.value;
    assert.deepEqual(parts.flat(), outcome.created, `chunk ${chunk}`);
    const okIds = inputs.filter((_, i) => outcome.results[i] === 'ok').map((x) => x.id);
    assert.deepEqual(
      parts.flat().map((r) => r.id),
      okIds,
    );
    assert.equal(okIds.length, 6);
    if (chunk === 1) assert.ok(parts.length >= 4, `parts as soon as final: ${parts.length}`);
  }
});

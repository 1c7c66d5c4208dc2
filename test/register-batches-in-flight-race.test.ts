import { test } from 'node:test';
import assert from 'node:assert/strict';
import { generatePaymentCode } from '../src/codes/index.ts';
import {
  balanceOf,
  fundWallet,
  issueCode,
  payPlatform,
  registerPay,
  walletUser,
} from './helpers/payments-platform.ts';

// Attack: the register runs two redemption batches at once (KINKO_PAYMENTS_BATCHES_IN_FLIGHT_MAX),
// each reading the guessing counters and stored answers before the other commits. A rogue
// register then gets more wrong guesses checked than the limit allows, and a retried request
// (same Idempotency-Key, another code) is charged twice. Batches of one or two requests make
// every pair of batches overlap; the ideal is what the requests one at a time would get.

const racing = { KINKO_PAYMENTS_BATCH_SIZE_MAX: '2', KINKO_PAYMENTS_BATCHES_IN_FLIGHT_MAX: '2' };

test('wrong guesses spread over overlapping batches: exactly the limit is checked', async () => {
  const p = await payPlatform({ env: racing });
  try {
    const max = p.payments.limits.guessFailuresPerTerminalMax;
    const guesses = await Promise.all(
      Array.from({ length: max + 10 }, () => registerPay(p, generatePaymentCode(), 100)),
    );
    const codes = guesses.map((g) => g.json().error?.code as string);
    const wrong = codes.filter((c) => c === 'code_invalid').length;
    process.stdout.write(`# ${wrong} of ${max + 10} parallel guesses checked (limit ${max})\n`);
    assert.equal(wrong, max, 'exactly the limit of wrong guesses is checked');
    assert.equal(codes.filter((c) => c === 'code_guessing_throttled').length, 10);
    const [row] = await p.db.sql<{ failures: number }[]>`
      select failures from payments_guess_counters where scope like 'terminal:%'`;
    assert.equal(row?.failures, max, 'the counter agrees');
  } finally {
    await p.close();
  }
});

test('one Idempotency-Key in two overlapping batches is charged once', async () => {
  const p = await payPlatform({
    env: { ...racing, KINKO_PAYMENTS_BATCH_SIZE_MAX: '1' },
  });
  try {
    const u = await walletUser(p, 1);
    await fundWallet(p, u, 5000);
    // Three rounds: each leaves its refused code unused, and a wallet holds at most five.
    for (let round = 0; round < 3; round++) {
      // Two codes of the same wallet under one key: a retry that scanned a fresh code.
      const [a, b] = [await issueCode(p, u), await issueCode(p, u)];
      const key = `race-${round}`;
      const both = await Promise.all([registerPay(p, a, 100, key), registerPay(p, b, 100, key)]);
      const statuses = both.map((r) => r.statusCode).sort();
      assert.equal(statuses[0], 200, both.map((r) => r.body).join('\n'));
      assert.ok([409, 422].includes(statuses[1]!), both.map((r) => r.body).join('\n'));
    }
    assert.equal(await balanceOf(p, u), String(5000 - 3 * 100), 'each key charged once');
    const [n] = await p.db.sql<{ n: number }[]>`
      select count(*)::int as n from payments_payments where customer_id = ${u.customerId}`;
    assert.equal(n?.n, 3);
  } finally {
    await p.close();
  }
});

test('overlapping batches of real codes all pay, and the ledger adds up', async () => {
  const p = await payPlatform({ env: racing });
  try {
    const users = [];
    for (const i of [1, 2, 3]) users.push(await walletUser(p, 10 + i));
    for (const u of users) await fundWallet(p, u, 1000);
    const codes = [];
    for (const u of users)
      for (let i = 0; i < 3; i++) codes.push({ u, code: await issueCode(p, u) });
    const paid = await Promise.all(codes.map(({ code }) => registerPay(p, code, 100)));
    assert.deepEqual(
      paid.map((r) => r.statusCode),
      codes.map(() => 200),
      paid.map((r) => r.body).join('\n'),
    );
    for (const u of users) assert.equal(await balanceOf(p, u), '700');
  } finally {
    await p.close();
  }
});

test("one wallet's codes in overlapping batches: each risk decision sees the ones before", async () => {
  const p = await payPlatform({ env: { ...racing, KINKO_PAYMENTS_BATCH_SIZE_MAX: '1' } });
  try {
    const u = await walletUser(p, 21);
    await fundWallet(p, u, 5000);
    const codes = [];
    for (let i = 0; i < 5; i++) codes.push(await issueCode(p, u));
    const paid = await Promise.all(codes.map((code) => registerPay(p, code, 100)));
    assert.deepEqual(
      paid.map((r) => r.statusCode),
      codes.map(() => 200),
    );
    // The wallet's new device makes every decision noteworthy, so each keeps its signals.
    const seen = await p.db.sql<{ n: number }[]>`
      select (signals->>'customer_count_1m')::int as n from risk_decisions
      where customer_id = ${u.customerId} and kind = 'code_payment' order by n`;
    assert.deepEqual(
      seen.map((r) => r.n),
      [0, 1, 2, 3, 4],
      'no two payments decided on the same count',
    );
  } finally {
    await p.close();
  }
});

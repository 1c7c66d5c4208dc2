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

// A cashier who types a code with one digit wrong, or scans another scheme's code, is told
// so by name (code_bad_check_digit, code_wrong_prefix, code_malformed), as docs/errors.md
// promises, and is not taken for a guesser: a check digit anyone can compute proves nothing,
// so misreads never count toward the register's guessing limit. Only a well-formed Kinko code
// that matches no live code is a guess (code_invalid).

/** The code with its digit at `at` changed (a single-digit typo the check digit catches). */
function typo(code: string, at: number): string {
  const d = (Number(code[at]) + 1 + (at % 9)) % 10;
  return code.slice(0, at) + String(d) + code.slice(at + 1);
}

test('misread codes are answered by name and never count as guesses', async () => {
  const p = await payPlatform();
  try {
    const u = await walletUser(p, 1);
    await fundWallet(p, u, 5000);
    const real = await issueCode(p, u);
    const max = p.payments.limits.guessFailuresPerTerminalMax;

    // Twice the guessing limit of typos of the customer's real code, in parallel.
    const typos = await Promise.all(
      Array.from({ length: 2 * max }, (_, i) => registerPay(p, typo(real, 2 + (i % 20)), 100)),
    );
    for (const a of typos) {
      assert.equal(a.statusCode, 400, a.body);
      assert.equal(a.json().error.code, 'code_bad_check_digit');
      assert.equal(a.json().error.param, 'code');
    }
    const foreign = await registerPay(p, `59${real.slice(2)}`, 100);
    assert.equal(foreign.statusCode, 400, foreign.body);
    assert.equal(foreign.json().error.code, 'code_wrong_prefix');
    const short = await registerPay(p, real.slice(0, 21), 100);
    assert.equal(short.json().error.code, 'code_malformed', short.body);

    const [counted] = await p.db.sql<{ n: number }[]>`
      select coalesce(sum(failures), 0)::int as n from payments_guess_counters`;
    assert.equal(counted!.n, 0, 'no misread was counted as a guess');

    // The register is not throttled: the real code, read correctly, pays.
    const paid = await registerPay(p, real, 100);
    assert.equal(paid.statusCode, 200, paid.body);
    assert.equal(await balanceOf(p, u), '4900');

    // A well-formed Kinko code that is nobody's is a guess, and is counted.
    const guess = await registerPay(p, generatePaymentCode(), 100);
    assert.equal(guess.json().error.code, 'code_invalid', guess.body);
    const [after] = await p.db.sql<{ n: number }[]>`
      select coalesce(sum(failures), 0)::int as n from payments_guess_counters
      where scope like 'terminal:%'`;
    assert.equal(after!.n, 1);
  } finally {
    await p.close();
  }
});

test('a misread code does not spend its Idempotency-Key: the corrected code pays', async () => {
  const p = await payPlatform();
  try {
    const u = await walletUser(p, 2);
    await fundWallet(p, u, 1000);
    const real = await issueCode(p, u);
    const first = await registerPay(p, typo(real, 7), 300, 'sale-1');
    assert.equal(first.json().error.code, 'code_bad_check_digit', first.body);
    const second = await registerPay(p, real, 300, 'sale-1');
    assert.equal(second.statusCode, 200, second.body);
    assert.equal(await balanceOf(p, u), '700');
  } finally {
    await p.close();
  }
});

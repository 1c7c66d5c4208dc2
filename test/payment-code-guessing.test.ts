import { test } from 'node:test';
import assert from 'node:assert/strict';
import { generatePaymentCode } from '../src/codes/index.ts';
import { stepUpTotp } from './helpers/identity-factors.ts';
import {
  balanceOf,
  fundWallet,
  issueCode,
  payPlatform,
  registerPay,
  walletUser,
} from './helpers/payments-platform.ts';

// Attack: a rogue or compromised register tries made-up codes hoping to hit a live one. The
// codes carry 63 random bits, and wrong guesses are counted per terminal and per merchant:
// past the limit the register gets 429 with Retry-After — even for a real code — until the
// window ends. Concurrent guesses in one micro-batch are counted as they are checked.

test('guessing codes is throttled per terminal with 429 and Retry-After', async () => {
  const p = await payPlatform();
  try {
    const u = await walletUser(p, 1);
    await fundWallet(p, u, 5000);
    const max = p.payments.limits.guessFailuresPerTerminalMax;
    const guesses = await Promise.all(
      Array.from({ length: max + 10 }, () => registerPay(p, generatePaymentCode(), 100)),
    );
    const wrong = guesses.filter((g) => g.json().error?.code === 'code_invalid').length;
    const throttled = guesses.filter((g) => g.statusCode === 429);
    assert.equal(wrong, max, 'exactly the limit of wrong guesses is checked');
    assert.equal(throttled.length, 10);
    assert.ok(Number(throttled[0]!.headers['retry-after']) > 0);
    assert.equal(throttled[0]!.json().error.code, 'code_guessing_throttled');

    // A real code from the throttled register is refused too, and keeps its money.
    const real = await issueCode(p, u);
    const refused = await registerPay(p, real, 100);
    assert.equal(refused.statusCode, 429, refused.body);
    assert.equal(await balanceOf(p, u), '5000');

    // After the window, the register works again.
    p.clock.advanceMs(p.payments.limits.guessWindowSeconds * 1000);
    u.token = await stepUpTotp(p, u.token, u.app);
    const later = await issueCode(p, u);
    assert.equal((await registerPay(p, later, 100)).statusCode, 200);
  } finally {
    await p.close();
  }
});

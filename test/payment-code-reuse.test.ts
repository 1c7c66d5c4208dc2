import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  balanceOf,
  fundWallet,
  issueCode,
  payPlatform,
  registerPay,
  walletUser,
} from './helpers/payments-platform.ts';

// Attack: a payment code seen over a shoulder, photographed or replayed by a register is
// worth one payment at most. Reuse, an expired code, and two registers racing to redeem the
// same code are refused with distinct codes, and the wallet is debited once.

test('a used code is refused; a retry with the same key replays the first answer', async () => {
  const p = await payPlatform();
  try {
    const u = await walletUser(p, 1);
    await fundWallet(p, u, 5000);
    const code = await issueCode(p, u);
    const first = await registerPay(p, code, 1000, 'reg-1');
    assert.equal(first.statusCode, 200, first.body);
    const replay = await registerPay(p, code, 1000, 'reg-1');
    assert.equal(replay.headers['idempotent-replayed'], 'true');
    assert.equal(replay.json().id, first.json().id);
    const changed = await registerPay(p, code, 999, 'reg-1');
    assert.equal(changed.json().error.code, 'idempotency_key_reused');
    const reuse = await registerPay(p, code, 1000, 'reg-2');
    assert.equal(reuse.statusCode, 402);
    assert.equal(reuse.json().error.code, 'code_already_used');
    assert.equal(await balanceOf(p, u), '4000');
  } finally {
    await p.close();
  }
});

test('an expired code is refused and moves nothing', async () => {
  const p = await payPlatform();
  try {
    const u = await walletUser(p, 2);
    await fundWallet(p, u, 5000);
    const code = await issueCode(p, u);
    p.clock.advanceMs(p.payments.limits.codeSecondsMax * 1000 + 1);
    const res = await registerPay(p, code, 1000);
    assert.equal(res.json().error.code, 'code_expired', res.body);
    assert.equal(await balanceOf(p, u), '5000');
  } finally {
    await p.close();
  }
});

test('two registers redeeming one code at the same moment: exactly one is paid', async () => {
  const p = await payPlatform();
  try {
    const u = await walletUser(p, 3);
    await fundWallet(p, u, 5000);
    // Two rounds: the 14 refused reuses stay under the terminal's guessing limit (20).
    for (let round = 0; round < 2; round++) {
      const code = await issueCode(p, u);
      const answers = await Promise.all(
        Array.from({ length: 8 }, (_, i) => registerPay(p, code, 100, `race-${round}-${i}`)),
      );
      const ok = answers.filter((a) => a.statusCode === 200);
      assert.equal(ok.length, 1, answers.map((a) => a.body).join('\n'));
      const refused = answers.filter((a) => a.statusCode !== 200).map((a) => a.json().error.code);
      assert.deepEqual(new Set(refused), new Set(['code_already_used']));
    }
    assert.equal(await balanceOf(p, u), '4800');
    assert.equal((await p.modules.ledger.check()).ok, true);
  } finally {
    await p.close();
  }
});

test('a wallet cannot pay more than it holds; the code stays usable for a smaller amount', async () => {
  const p = await payPlatform();
  try {
    const u = await walletUser(p, 4);
    await fundWallet(p, u, 1000);
    const code = await issueCode(p, u);
    const res = await registerPay(p, code, 1001);
    assert.equal(res.json().error.code, 'insufficient_funds', res.body);
    assert.equal((await registerPay(p, code, 1000)).statusCode, 200);
    assert.equal(await balanceOf(p, u), '0');
  } finally {
    await p.close();
  }
});

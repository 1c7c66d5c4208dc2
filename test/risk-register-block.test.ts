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
import { promoteRules } from './helpers/risk-rules.ts';

// A rule that blocks a register payment: the register gets its own error code (with the
// customer's reason in plain words, never the rule), no money moves, and the decision is
// recorded with the version and the rule that fired.

test('a blocked register payment answers risk_register_payment_blocked; nothing moves', async () => {
  const p = await payPlatform();
  try {
    const u = await walletUser(p, 1);
    await fundWallet(p, u, 10_000);
    const version = await promoteRules(p, [
      {
        id: 'no_big_register_payments',
        kinds: ['code_payment'],
        when: { '>=': [{ var: 'amount' }, 5000] },
        decision: 'block',
        reason: 'high_resale_goods',
      },
    ]);
    const refused = await registerPay(p, await issueCode(p, u), 6000);
    assert.equal(refused.statusCode, 403, refused.body);
    const error = refused.json().error;
    assert.equal(error.code, 'risk_register_payment_blocked');
    assert.equal(error.reason, 'Large payments for this kind of goods are checked more closely.');
    assert.doesNotMatch(refused.body, /no_big_register_payments/);
    assert.equal(await balanceOf(p, u), '10000');
    const [row] = await p.db.sql<{ decision: string; version: number; rules_fired: string[] }[]>`
      select decision, version, rules_fired from risk_decisions where kind = 'code_payment'`;
    assert.deepEqual(
      { ...row },
      { decision: 'block', version, rules_fired: ['no_big_register_payments'] },
    );
    const paid = await registerPay(p, await issueCode(p, u), 1000);
    assert.equal(paid.statusCode, 200, paid.body);
  } finally {
    await p.close();
  }
});

import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  fundWallet,
  issueCode,
  payPlatform,
  registerPay,
  walletUser,
} from './helpers/payments-platform.ts';

// A wallet customer's id is one id at every merchant (and, a UUIDv7, it dates the sign-up).
// GET /v1/code_payments/{id} and the list showed it to the merchant paid, so merchants could
// follow one customer from shop to shop by comparing ids. The merchant API names no customer.

test("the merchant API does not show a wallet customer's id", async () => {
  const p = await payPlatform();
  try {
    const u = await walletUser(p, 1);
    await fundWallet(p, u, 5_000);
    const paid = await registerPay(p, await issueCode(p, u), 1_200);
    assert.equal(paid.statusCode, 200, paid.body);
    const sk = { authorization: `Bearer ${p.merchant.secretKey}` };
    for (const url of [`/v1/code_payments/${paid.json().id}`, '/v1/code_payments']) {
      const res = await p.app.inject({ method: 'GET', url, headers: sk });
      assert.equal(res.statusCode, 200, res.body);
      assert.ok(!res.body.includes(u.customerId), `${url} names the customer: ${res.body}`);
      assert.ok(!res.body.includes('customer'), url);
    }
    assert.ok(!paid.body.includes(u.customerId), "the register's answer names no customer");
  } finally {
    await p.close();
  }
});

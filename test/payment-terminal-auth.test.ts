import { test } from 'node:test';
import assert from 'node:assert/strict';
import { generatePaymentCode } from '../src/codes/index.ts';
import { payPlatform } from './helpers/payments-platform.ts';

// A register's credentials are checked once per cache period however many payments arrive
// at the same moment, and a refused credential is never remembered as good.

test('concurrent payments share one terminal check; wrong secrets are checked every time', async () => {
  const p = await payPlatform();
  try {
    const merchants = p.modules.merchants;
    const original = merchants.authenticateTerminal.bind(merchants);
    let checks = 0;
    merchants.authenticateTerminal = (id, secret) => {
      checks += 1;
      return original(id, secret);
    };
    // A well-formed Kinko code that is nobody's: it reaches the lookup.
    const made = generatePaymentCode();
    const pay = (authorization: string, i: number) =>
      p.app.inject({
        method: 'POST',
        url: '/v1/code_payments',
        headers: { authorization, 'idempotency-key': `auth-${i}-${authorization.length}` },
        payload: { code: made, amount: 100, store_id: p.merchant.store!.id },
      });
    const answers = await Promise.all(
      Array.from({ length: 20 }, (_, i) => pay(p.merchant.terminalAuth, i)),
    );
    // Past authentication: the made-up code is refused, not the register.
    for (const a of answers) assert.equal(a.json().error.code, 'code_invalid', a.body);
    assert.equal(checks, 1);

    const [id] = p.merchant.terminalAuth.slice('Terminal '.length).split(':');
    const wrong = `Terminal ${id}:tk_${'A'.repeat(43)}`;
    for (let i = 0; i < 3; i++) {
      const refused = await pay(wrong, 100 + i);
      assert.equal(refused.statusCode, 401, refused.body);
    }
    assert.equal(checks, 4, 'each wrong secret was checked, none was remembered');
  } finally {
    await p.close();
  }
});

test('a register signs in only with credentials Kinko accepts, and learns its store', async () => {
  const p = await payPlatform();
  try {
    const me = (authorization?: string) =>
      p.app.inject({
        method: 'GET',
        url: '/v1/terminal',
        headers: authorization ? { authorization } : {},
      });
    const ok = await me(p.merchant.terminalAuth);
    assert.equal(ok.statusCode, 200, ok.body);
    assert.deepEqual(ok.json(), {
      object: 'terminal',
      id: p.merchant.terminal!.id,
      merchant_id: p.merchant.merchantId,
      store_id: p.merchant.store!.id,
      store_name: 'Yamada Shoten Shibuya',
      mode: 'live',
    });
    const [id] = p.merchant.terminalAuth.slice('Terminal '.length).split(':');
    for (const wrong of [`Terminal ${id}:tk_${'A'.repeat(43)}`, `Terminal ${id}:typo`]) {
      const refused = await me(wrong);
      assert.equal(refused.statusCode, 401, refused.body);
      assert.equal(refused.json().error.code, 'terminal_credentials_invalid');
    }
    const missing = await me();
    assert.equal(missing.statusCode, 401, missing.body);
    assert.equal(missing.json().error.code, 'terminal_credentials_missing');
    // A secret key is not a register's sign-in.
    const key = await me(`Bearer ${p.merchant.secretKey}`);
    assert.equal(key.json().error.code, 'terminal_credentials_missing');
  } finally {
    await p.close();
  }
});

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { auth } from './helpers/identity-harness.ts';
import { balanceOf, fundWallet, payPlatform, walletUser } from './helpers/payments-platform.ts';

// Attack (7pay 2019) against the real wallet routes: the thief has the victim's password and
// signs in on their own phone. Top-up, payment code, card link and store payment all refuse;
// the victim's balance is untouched.

test('a stolen password on a new device cannot top up, create a code or link a card', async () => {
  const p = await payPlatform();
  try {
    const victim = await walletUser(p, 1);
    const { token: card } = await fundWallet(p, victim, 3000);
    const login = await p.app.inject({
      method: 'POST',
      url: '/v1/identity/login',
      payload: { identifier: victim.email, password: victim.password },
      remoteAddress: '203.0.113.66',
    });
    assert.equal(login.statusCode, 200, login.body);
    const thief = auth(login.json().session_token as string);
    const post = (url: string, payload: object) =>
      p.app.inject({ method: 'POST', url, headers: { ...thief, 'idempotency-key': url }, payload });
    const refusals = [
      await post('/v1/wallet/topups', { amount: 1000, card_token: card }),
      await post('/v1/wallet/payment_codes', {}),
      await post('/v1/wallet/cards', { card_token: card }),
      await post('/v1/wallet/store_payments', { payload: 'x', amount: 100 }),
    ];
    for (const r of refusals) {
      assert.equal(r.statusCode, 403, r.body);
      assert.equal(r.json().error.code, 'device_required');
    }
    // Reading the wallet is all the password gives; the money stays.
    assert.equal(await balanceOf(p, victim), '3000');
  } finally {
    await p.close();
  }
});

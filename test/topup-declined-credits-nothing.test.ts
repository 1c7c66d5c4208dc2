import { test } from 'node:test';
import assert from 'node:assert/strict';
import { auth } from './helpers/identity-harness.ts';
import {
  balanceOf,
  hostedCardToken,
  payPlatform,
  walletPost,
  walletUser,
} from './helpers/payments-platform.ts';

// A top-up whose card charge fails credits nothing: declined, insufficient funds, a card
// network that times out, and a capture whose answer is lost (the top-up waits, and a retry
// under the same acquirer key captures once and credits once).

test('declined, insufficient-funds and timed-out charges credit nothing', async () => {
  const p = await payPlatform();
  try {
    const u = await walletUser(p, 1);
    // Linked while the card was good (verification passes); later charges decline.
    const good = await hostedCardToken(p, '4242424242424242');
    await walletPost(p, u, '/v1/wallet/cards', 'card_link', { card_token: good });
    const sim = p.simulator;
    sim.injectFault('authorize', 'timeout');
    let res = await walletPost(p, u, '/v1/wallet/topups', 'topup', {
      amount: 1000,
      card_token: good,
    });
    assert.equal(res.json().error.code, 'acquirer_timeout', res.body);
    const poor = await hostedCardToken(p, '5555555555559995').catch(() => null);
    assert.equal(poor, null, 'an insufficient-funds card does not even verify');
    const history = await p.app.inject({
      method: 'GET',
      url: '/v1/wallet/history',
      headers: auth(u.token),
    });
    const failed = history.json().data.filter((i: { status: string }) => i.status === 'failed');
    assert.equal(failed.length, 1);
    assert.equal(await balanceOf(p, u), '0');
    // The failed top-up gave its reserved limit back.
    const wallet = await p.app.inject({ method: 'GET', url: '/v1/wallet', headers: auth(u.token) });
    assert.equal(wallet.json().limits.used.day, '0');
    assert.equal((await p.modules.ledger.check()).ok, true);
  } finally {
    await p.close();
  }
});

test('a card declined at charge time credits nothing and says so', async () => {
  const p = await payPlatform();
  try {
    const u = await walletUser(p, 3);
    // Stored without the hosted fields' zero-amount check, as a card that went bad later.
    for (const [number, decline] of [
      ['4000000000000002', 'card_declined'],
      ['4000000000009995', 'insufficient_funds'],
    ] as const) {
      const card = await p.modules.card.vault.tokenize({
        number,
        expMonth: 12,
        expYear: 2030,
        customerId: u.customerId,
        actor: { type: 'system' },
      });
      await walletPost(p, u, '/v1/wallet/cards', 'card_link', { card_token: card.token });
      const res = await walletPost(p, u, '/v1/wallet/topups', 'topup', {
        amount: 1500,
        card_token: card.token,
      });
      assert.equal(res.statusCode, 402, res.body);
      assert.equal(res.json().error.code, 'topup_declined');
      assert.equal(res.json().error.decline_code, decline);
    }
    assert.equal(await balanceOf(p, u), '0');
    assert.equal((await p.modules.ledger.check()).ok, true);
  } finally {
    await p.close();
  }
});

test('a capture whose answer is lost waits, then captures and credits once', async () => {
  const p = await payPlatform();
  try {
    const u = await walletUser(p, 2);
    const token = await hostedCardToken(p, '4242424242424242');
    await walletPost(p, u, '/v1/wallet/cards', 'card_link', { card_token: token });
    const sim = p.simulator;
    sim.injectFault('capture', 'network_error');
    const res = await walletPost(p, u, '/v1/wallet/topups', 'topup', {
      amount: 2000,
      card_token: token,
    });
    assert.equal(res.json().error.code, 'topup_charge_unconfirmed', res.body);
    const id = res.json().error.topup_id as string;
    assert.equal(await balanceOf(p, u), '0', 'no credit while the charge is unconfirmed');
    for (let i = 0; i < 2; i++) {
      const done = await p.app.inject({
        method: 'POST',
        url: `/v1/wallet/topups/${id}/confirm`,
        headers: auth(u.token),
        payload: {},
      });
      assert.equal(done.json().status, 'succeeded', done.body);
    }
    assert.equal(await balanceOf(p, u), '2000', 'captured once, credited once');
    assert.equal(sim.stats().capturedMinor, 2000n);
  } finally {
    await p.close();
  }
});

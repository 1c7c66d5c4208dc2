import { test } from 'node:test';
import assert from 'node:assert/strict';
import { auth } from './helpers/identity-harness.ts';
import {
  balanceOf,
  hostedCardToken,
  idem,
  passChallenge,
  payPlatform,
  walletPost,
  walletUser,
} from './helpers/payments-platform.ts';

// Top-ups: the wallet is credited only after the card charge succeeded; 3-D Secure pauses
// the top-up until the challenge is passed; a retry never charges or credits twice.

test('a top-up charges the card and credits the wallet once, retries included', async () => {
  const p = await payPlatform();
  try {
    const u = await walletUser(p, 1);
    const token = await hostedCardToken(p, '4242424242424242');
    const link = await walletPost(p, u, '/v1/wallet/cards', 'card_link', { card_token: token });
    assert.equal(link.statusCode, 200, link.body);
    const key = idem();
    const first = await walletPost(
      p,
      u,
      '/v1/wallet/topups',
      'topup',
      { amount: 5000, card_token: token },
      key,
    );
    assert.equal(first.json().status, 'succeeded', first.body);
    const again = await walletPost(
      p,
      u,
      '/v1/wallet/topups',
      'topup',
      { amount: 5000, card_token: token },
      key,
    );
    assert.equal(again.headers['idempotent-replayed'], 'true');
    assert.equal(again.json().id, first.json().id);
    assert.equal(await balanceOf(p, u), '5000');
    assert.equal(p.modules.card.network.name.length > 0, true);
    const wallet = (
      await p.app.inject({ method: 'GET', url: '/v1/wallet', headers: auth(u.token) })
    ).json();
    assert.equal(wallet.limits.tier, 'new');
    assert.equal(wallet.limits.used.day, '5000');
    const check = await p.modules.ledger.check();
    assert.equal(check.ok, true, JSON.stringify(check));
  } finally {
    await p.close();
  }
});

test('a 3-D Secure card answers requires_action and is credited only after the challenge', async () => {
  const p = await payPlatform();
  try {
    const u = await walletUser(p, 2);
    const token = await hostedCardToken(p, '4000000000003220');
    await walletPost(p, u, '/v1/wallet/cards', 'card_link', { card_token: token });
    const res = await walletPost(p, u, '/v1/wallet/topups', 'topup', {
      amount: 3000,
      card_token: token,
    });
    const t = res.json();
    assert.equal(t.status, 'requires_action', res.body);
    assert.match(t.challenge_url, /^http:\/\/localhost:8080\/3ds\/challenges\//);
    assert.equal(await balanceOf(p, u), '0', 'nothing is credited before the challenge');
    const early = await p.app.inject({
      method: 'POST',
      url: `/v1/wallet/topups/${t.id}/confirm`,
      headers: auth(u.token),
      payload: {},
    });
    assert.equal(early.json().error.code, 'topup_challenge_pending');
    await passChallenge(p, t.challenge_url);
    for (let i = 0; i < 2; i++) {
      const done = await p.app.inject({
        method: 'POST',
        url: `/v1/wallet/topups/${t.id}/confirm`,
        headers: auth(u.token),
        payload: {},
      });
      assert.equal(done.json().status, 'succeeded', done.body);
    }
    assert.equal(await balanceOf(p, u), '3000', 'credited once, confirm repeated');
    assert.equal((await p.modules.ledger.check()).ok, true);
  } finally {
    await p.close();
  }
});

test('limits: per top-up, daily, the customer lowering them, and raising needs limit_raise', async () => {
  const p = await payPlatform();
  try {
    const u = await walletUser(p, 3);
    const token = await hostedCardToken(p, '4242424242424242');
    await walletPost(p, u, '/v1/wallet/cards', 'card_link', { card_token: token });
    // A new account: 30,000 per top-up, 50,000 a day.
    let res = await walletPost(p, u, '/v1/wallet/topups', 'topup', {
      amount: 30_001,
      card_token: token,
    });
    assert.equal(res.json().error.code, 'limit_per_topup_exceeded', res.body);
    res = await walletPost(p, u, '/v1/wallet/topups', 'topup', {
      amount: 30_000,
      card_token: token,
    });
    assert.equal(res.json().status, 'succeeded', res.body);
    res = await walletPost(p, u, '/v1/wallet/topups', 'topup', {
      amount: 20_001,
      card_token: token,
    });
    assert.equal(res.json().error.code, 'limit_daily_exceeded', res.body);
    // Lowering needs no proof; raising back does.
    const put = (payload: object, headers: Record<string, string> = {}) =>
      p.app.inject({
        method: 'PUT',
        url: '/v1/wallet/limits',
        headers: { ...auth(u.token), ...headers },
        payload,
      });
    res = await put({ per_topup: 1000, daily: 40_000, monthly: 100_000 });
    assert.equal(res.statusCode, 200, res.body);
    assert.equal(res.json().limits.effective.per_topup, '1000');
    res = await walletPost(p, u, '/v1/wallet/topups', 'topup', { amount: 1001, card_token: token });
    assert.equal(res.json().error.code, 'limit_per_topup_exceeded');
    res = await put({ per_topup: 5000, daily: 40_000, monthly: 100_000 });
    assert.equal(res.json().error.code, 'device_proof_invalid', res.body);
    res = await put({ per_topup: 999_999, daily: 40_000, monthly: 100_000 });
    assert.equal(res.json().error.code, 'device_proof_invalid');
    assert.equal(await balanceOf(p, u), '30000');
  } finally {
    await p.close();
  }
});

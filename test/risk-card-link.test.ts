import { test } from 'node:test';
import assert from 'node:assert/strict';
import { promoteRules } from './helpers/risk-rules.ts';
import { auth } from './helpers/identity-harness.ts';
import { stepUpTotp } from './helpers/identity-factors.ts';
import {
  hostedCardToken,
  payPlatform,
  walletPost,
  walletUser,
  type PayPlatform,
} from './helpers/payments-platform.ts';

// Linking a card goes through the risk engine, fed with the vault's and identity's facts: a
// rule set promoted here blocks a card number already in another wallet (shared_card) and
// asks for a fresh strong factor right after a security change. Without the wiring (or the
// facts) both links would simply succeed.

async function promote(p: PayPlatform) {
  await promoteRules(p, [
    {
      id: 'link_shared_card',
      kinds: ['card_link'],
      when: { '>=': [{ var: 'card_other_customers' }, 1] },
      decision: 'block',
      reason: 'shared_card',
    },
    {
      id: 'link_after_change',
      kinds: ['card_link'],
      when: { '<': [{ var: 'security_change_minutes' }, 60] },
      decision: 'step_up',
      reason: 'security_change_recent',
    },
  ]);
}

test('a card number already in another wallet is refused: risk_card_link_blocked', async () => {
  const p = await payPlatform();
  try {
    await promote(p);
    const owner = await walletUser(p, 1);
    const thief = await walletUser(p, 2);
    const first = await hostedCardToken(p, '4242424242424242');
    const link = (u: typeof owner, token: string) =>
      walletPost(p, u, '/v1/wallet/cards', 'card_link', { card_token: token });
    assert.equal((await link(owner, first)).statusCode, 200);
    // The same number typed again: a new token, the same card.
    const again = await hostedCardToken(p, '4242424242424242');
    const refused = await link(thief, again);
    assert.equal(refused.statusCode, 403, refused.body);
    assert.equal(refused.json().error.code, 'risk_card_link_blocked');
    assert.equal(refused.json().error.reason, 'This card is linked to other Kinko accounts.');
    assert.doesNotMatch(refused.body, /link_shared_card/);
    const cards = await p.db.sql`select 1 from payments_cards where card_token = ${again}`;
    assert.equal(cards.length, 0);
    const [row] = await p.db.sql<{ decision: string; subject_id: string; n: number }[]>`
      select decision, subject_id, (signals->>'card_other_customers')::int as n
      from risk_decisions where kind = 'card_link'`;
    assert.deepEqual({ ...row }, { decision: 'block', subject_id: again, n: 1 });
    // Another card links fine.
    const own = await hostedCardToken(p, '5555555555554444');
    assert.equal((await link(thief, own)).statusCode, 200);
  } finally {
    await p.close();
  }
});

test('right after a security change, linking needs a fresh strong factor', async () => {
  const p = await payPlatform();
  try {
    await promote(p);
    const u = await walletUser(p, 1);
    const renewed = await p.app.inject({
      method: 'POST',
      url: '/v1/identity/factors/recovery-codes',
      headers: auth(u.token),
      payload: {},
    });
    assert.equal(renewed.statusCode, 200, renewed.body);
    // Past the risk engine's step-up window (120 s), still inside the policy's (300 s).
    p.clock.advanceMs(150_000);
    const token = await hostedCardToken(p, '3566002020360505');
    const body = { card_token: token };
    const stale = await walletPost(p, u, '/v1/wallet/cards', 'card_link', body);
    assert.equal(stale.statusCode, 403, stale.body);
    assert.equal(stale.json().error.code, 'risk_step_up_required');
    assert.equal(
      stale.json().error.reason,
      'Your password, contact details or sign-in methods were changed recently.',
    );
    const fresh = { ...u, token: await stepUpTotp(p, u.token, u.app) };
    const linked = await walletPost(p, fresh, '/v1/wallet/cards', 'card_link', body);
    assert.equal(linked.statusCode, 200, linked.body);
  } finally {
    await p.close();
  }
});

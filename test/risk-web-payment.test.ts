import { readFileSync } from 'node:fs';
import { after, afterEach, before, test } from 'node:test';
import assert from 'node:assert/strict';
import {
  answerChallenge,
  assertLedgerBalanced,
  ok,
  post,
  shop,
  webPaymentsHarness,
  type Shop,
  type WebPaymentsHarness,
} from './helpers/web-payments.ts';
import { promoteRules } from './helpers/risk-rules.ts';

// Web payments go through the risk engine before the card network is called: a rule set
// drafted and promoted here blocks a card's third payment within an hour (velocity on the
// vault's id of the card number, across tokens of that number) and payments from outside
// the home country (the shopper's address from the hosted fields, against the loaded IP
// table), and asks for 3-D Secure on large ones. Without the wiring each assertion fails:
// the payments would succeed frictionlessly.

let h: WebPaymentsHarness;
before(async () => {
  h = await webPaymentsHarness();
  await promoteRules(h.api, [
    {
      id: 'web_card_hour',
      kinds: ['web_payment'],
      when: { '>=': [{ var: 'card_count_1h' }, 2] },
      decision: 'block',
      reason: 'rapid_payments',
    },
    {
      id: 'web_abroad',
      kinds: ['web_payment'],
      when: { '!': { var: 'source_home' } },
      decision: 'block',
      reason: 'foreign_source',
    },
    {
      id: 'web_large',
      kinds: ['web_payment'],
      when: { '>=': [{ var: 'amount' }, 20_000] },
      decision: 'step_up',
      reason: 'unusual_amount',
    },
  ]);
  const seed = readFileSync('src/risk/home-networks-jp-seed.txt', 'utf8');
  await h.api.modules.risk.loadHomeNetworks(seed, { id: 'test' });
});
afterEach(() => assertLedgerBalanced(h));
after(() => h.close());

type Json = Record<string, unknown>;

async function token(s: Shop, number: string, shopperIp?: string): Promise<string> {
  const actor = { type: 'merchant' as const, id: s.merchantId };
  const card = await h.vault.tokenize({
    number,
    expMonth: 12,
    expYear: 2030,
    merchantId: s.merchantId,
    actor,
    shopperIp,
  });
  return card.token;
}

async function confirm(s: Shop, cardToken: string, amount: number) {
  const p = await ok(h, s, '/v1/payments', { amount, currency: 'JPY', payment_method: cardToken });
  return post(h, s, `/v1/payments/${String(p['id'])}/confirm`);
}

test('a large web payment is asked for 3-D Secure; the challenge passed, it succeeds', async () => {
  const s = await shop(h);
  const res = await confirm(s, await token(s, '5555555555554444', '133.5.6.7'), 25_000);
  const p = res.json() as Json;
  assert.equal(p['status'], 'requires_action', res.body);
  const url = (p['next_action'] as { url: string }).url;
  assert.equal(await answerChallenge(h, url), 'authenticated');
  const done = await ok(h, s, `/v1/payments/${String(p['id'])}/confirm`);
  assert.equal(done['status'], 'succeeded');
  const [row] = await h.api.db.sql<{ decision: string; subject_id: string }[]>`
    select decision, subject_id from risk_decisions where subject_id = ${String(p['id'])}`;
  assert.equal(row?.decision, 'step_up');
});

test("a card's third payment in an hour is blocked before authorization", async () => {
  const s = await shop(h);
  const other = await shop(h, 'Other Shop');
  const held = () => h.simulator.stats().approvedHolds;
  // Two payments with the same card number, under two tokens at two merchants.
  for (const [merchant, amount] of [
    [s, 1000],
    [other, 1200],
  ] as const) {
    const paid = await confirm(merchant, await token(merchant, '4242424242424242'), amount);
    assert.equal(paid.json().status, 'succeeded', paid.body);
  }
  const before = held();
  const refused = await confirm(s, await token(s, '4242424242424242'), 900);
  assert.equal(refused.statusCode, 403, refused.body);
  const error = refused.json().error;
  assert.equal(error.code, 'payment_blocked_by_risk');
  assert.equal(error.reason, 'Several payments were made in a short time.');
  assert.doesNotMatch(refused.body, /web_card_hour/);
  assert.equal(held(), before, 'the card network was never called');
  const [row] = await h.api.db.sql<{ decision: string; rules_fired: string[]; n: bigint }[]>`
    select decision, rules_fired, (signals->>'card_count_1h')::int8 as n from risk_decisions
    where kind = 'web_payment' and decision = 'block' and 'web_card_hour' = any(rules_fired)`;
  assert.deepEqual({ ...row }, { decision: 'block', rules_fired: ['web_card_hour'], n: 2n });
  // Another card at the same shop still pays.
  const fine = await confirm(s, await token(s, '3566002020360505'), 900);
  assert.equal(fine.json().status, 'succeeded', fine.body);
});

test('a shopper outside the home country (hosted-fields address) is blocked', async () => {
  const s = await shop(h);
  const abroad = await confirm(s, await token(s, '2223003122003222', '8.8.8.8'), 800);
  assert.equal(abroad.statusCode, 403, abroad.body);
  assert.equal(abroad.json().error.code, 'payment_blocked_by_risk');
  assert.equal(abroad.json().error.reason, 'You appear to be connecting from outside Japan.');
  const home = await confirm(s, await token(s, '378282246310005', '2001:218:1::5'), 800);
  assert.equal(home.json().status, 'succeeded', home.body);
});

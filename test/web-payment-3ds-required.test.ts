import { after, afterEach, before, test } from 'node:test';
import assert from 'node:assert/strict';
import {
  answerChallenge,
  assertLedgerBalanced,
  eventTypes,
  get,
  merchantBalance,
  ok,
  pay,
  shop,
  SHOP_ORIGIN,
  webPaymentsHarness,
  type WebPaymentsHarness,
} from './helpers/web-payments.ts';

// 3-D Secure: a challenge puts the payment in requires_action with the challenge URL. Only an
// authenticated challenge leads to a charge; a failed or abandoned one ends in
// requires_payment_method with last_payment_error, and the card is never charged or held.

let h: WebPaymentsHarness;
before(async () => {
  h = await webPaymentsHarness();
});
afterEach(() => assertLedgerBalanced(h));
after(() => h.close());

type Json = Record<string, unknown>;
const action = (p: Json) => p['next_action'] as { type: string; url: string };

test('challenge passed → confirm again → succeeded', async () => {
  const s = await shop(h);
  const p = await pay(h, s, '4000000000003220', { amount: 7000 });
  assert.equal(p['status'], 'requires_action', JSON.stringify(p));
  assert.equal(action(p).type, 'three_d_secure');
  assert.match(action(p).url, /^http:\/\/localhost:4454\/3ds\/challenges\/3dsc_/);
  const page = await h.api.app.inject({ method: 'GET', url: new URL(action(p).url).pathname });
  assert.match(String(page.headers['content-security-policy']), new RegExp(SHOP_ORIGIN));
  // Confirming while the challenge is open changes nothing and charges nothing.
  const early = await ok(h, s, `/v1/payments/${String(p['id'])}/confirm`);
  assert.equal(early['status'], 'requires_action');
  assert.equal(await answerChallenge(h, action(p).url), 'authenticated');
  const done = await ok(h, s, `/v1/payments/${String(p['id'])}/confirm`);
  assert.equal(done['status'], 'succeeded', JSON.stringify(done));
  assert.equal(done['next_action'], null);
  assert.equal((await merchantBalance(h, s)).posted, 7000n);
  const types = await eventTypes(h, s.merchantId);
  assert.ok(types.includes('payment.requires_action') && types.includes('payment.succeeded'));
});

test('challenge passed, manual capture: the reconcile job moves it on without polling', async () => {
  const s = await shop(h);
  const p = await pay(h, s, '4000000000003220', { amount: 3000, capture_method: 'manual' });
  assert.equal(p['status'], 'requires_action');
  assert.equal(await answerChallenge(h, action(p).url), 'authenticated');
  await h.payments.reconcile();
  const read = (await get(h, s, `/v1/payments/${String(p['id'])}`)).json();
  assert.equal(read.status, 'requires_capture');
  assert.equal(read.amount_capturable, 3000);
  assert.deepEqual(await merchantBalance(h, s), { pending: 3000n, posted: 0n });
  const captured = await ok(h, s, `/v1/payments/${String(p['id'])}/capture`);
  assert.equal(captured['status'], 'succeeded');
});

test('challenge failed → requires_payment_method, never charged', async () => {
  const s = await shop(h);
  const before = h.simulator.stats();
  const p = await pay(h, s, '4000000000003063', { amount: 4100 });
  assert.equal(p['status'], 'requires_action');
  assert.equal(await answerChallenge(h, action(p).url), 'failed');
  const after = await ok(h, s, `/v1/payments/${String(p['id'])}/confirm`);
  assert.equal(after['status'], 'requires_payment_method');
  const err = after['last_payment_error'] as Json;
  assert.equal(err['code'], 'payment_authentication_failed');
  assert.equal(after['amount_received'], 0);
  assert.equal(h.simulator.stats().capturedMinor, before.capturedMinor);
  assert.equal(h.simulator.stats().approvedHolds, before.approvedHolds);
  assert.deepEqual(await merchantBalance(h, s), { pending: 0n, posted: 0n });
  assert.ok((await eventTypes(h, s.merchantId)).includes('payment.payment_failed'));
});

test('wrong codes until the attempts run out → failed, never charged', async () => {
  const s = await shop(h);
  const p = await pay(h, s, '4000000000003220', { amount: 4200 });
  let status = '';
  for (let i = 0; i < 3; i++) status = await answerChallenge(h, action(p).url, '999999');
  assert.equal(status, 'failed');
  await h.payments.reconcile();
  const read = (await get(h, s, `/v1/payments/${String(p['id'])}`)).json();
  assert.equal(read.status, 'requires_payment_method');
  assert.deepEqual(await merchantBalance(h, s), { pending: 0n, posted: 0n });
});

test('challenge abandoned: past its deadline the payment fails and is never charged', async () => {
  const s = await shop(h);
  const before = h.simulator.stats();
  const p = await pay(h, s, '4000000000003220', { amount: 4300 });
  assert.equal(p['status'], 'requires_action');
  h.api.clock.advanceMs(11 * 60 * 1000);
  await h.payments.reconcile();
  const read = (await get(h, s, `/v1/payments/${String(p['id'])}`)).json();
  assert.equal(read.status, 'requires_payment_method');
  assert.equal(read.last_payment_error.code, 'payment_authentication_failed');
  // The late cardholder cannot revive it.
  const page = await h.api.app.inject({ method: 'GET', url: new URL(action(p).url).pathname });
  assert.doesNotMatch(page.body, /dev-code/);
  assert.equal(h.simulator.stats().capturedMinor, before.capturedMinor);
  assert.equal(h.simulator.stats().approvedHolds, before.approvedHolds);
  assert.deepEqual(await merchantBalance(h, s), { pending: 0n, posted: 0n });
});

test('canceled during the challenge: a hold approved afterwards is voided, never captured', async () => {
  const s = await shop(h);
  const before = h.simulator.stats();
  const p = await pay(h, s, '4000000000003220', { amount: 4400 });
  const canceled = await ok(h, s, `/v1/payments/${String(p['id'])}/cancel`, {
    cancellation_reason: 'abandoned',
  });
  assert.equal(canceled['status'], 'canceled');
  assert.equal(await answerChallenge(h, action(p).url), 'authenticated');
  await h.payments.reconcile();
  assert.equal(h.simulator.stats().approvedHolds, before.approvedHolds, 'hold voided');
  assert.equal(h.simulator.stats().capturedMinor, before.capturedMinor);
  const read = (await get(h, s, `/v1/payments/${String(p['id'])}`)).json();
  assert.equal(read.status, 'canceled');
});

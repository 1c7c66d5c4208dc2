import { after, afterEach, before, test } from 'node:test';
import assert from 'node:assert/strict';
import {
  assertLedgerBalanced,
  cardToken,
  merchantBalance,
  ok,
  pay,
  shop,
  webPaymentsHarness,
  type WebPaymentsHarness,
} from './helpers/web-payments.ts';

// Declines put the payment back in requires_payment_method with the network's decline code;
// nothing is held or posted. Another card can then be attached and confirmed.

let h: WebPaymentsHarness;
before(async () => {
  h = await webPaymentsHarness();
});
afterEach(() => assertLedgerBalanced(h));
after(() => h.close());

const DECLINES: Array<[string, string]> = [
  ['4000000000000002', 'card_declined'],
  ['4000000000009995', 'insufficient_funds'],
  ['4000000000000069', 'expired_card'],
  ['4000000000000127', 'incorrect_cvc'],
  ['4000000000000119', 'processing_error'],
];

test('each test card declines with its code and moves no money', async () => {
  const s = await shop(h);
  for (const [number, code] of DECLINES) {
    const p = await pay(h, s, number, { amount: 3_000 });
    assert.equal(p['status'], 'requires_payment_method', number);
    const err = p['last_payment_error'] as Record<string, unknown>;
    assert.equal(err['code'], 'card_declined');
    assert.equal(err['decline_code'], code, number);
    assert.equal(err['type'], 'card_error');
  }
  assert.deepEqual(await merchantBalance(h, s), { pending: 0n, posted: 0n });
});

test('after a decline, another card succeeds on the same payment', async () => {
  const s = await shop(h);
  const p = await pay(h, s, '4000000000000002', { amount: 4_000 });
  const id = String(p['id']);
  const token = await cardToken(h, s, '4242424242424242');
  const updated = await ok(h, s, `/v1/payments/${id}`, { payment_method: token });
  assert.equal(updated['status'], 'requires_confirmation');
  assert.equal(updated['last_payment_error'], null);
  const done = await ok(h, s, `/v1/payments/${id}/confirm`);
  assert.equal(done['status'], 'succeeded');
  assert.equal((await merchantBalance(h, s)).posted, 4_000n);
});

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { dumpDatabase } from './helpers/cards.ts';
import {
  fundWallet,
  idem,
  issueCode,
  payPlatform,
  registerPay,
  walletUser,
} from './helpers/payments-platform.ts';
import { cardToken, ok, post, shop, webPaymentsHarness } from './helpers/web-payments.ts';

// GMO-PG 2017: card numbers kept where they should never have been. A merchant's systems can
// send free text that Kinko stores and shows back: a payment's description, statement
// descriptor and metadata, a refund's reason, a webhook endpoint's URL and description, the
// names of its stores, terminals and API keys. A card number typed or pasted into one (by
// mistake, or by a shop that logs its checkout into "metadata") is refused at the API with a
// named error naming the field, before anything is written: it reaches no table, log, outbox
// event or response. Card numbers enter Kinko only through the vault's hosted card fields.
// Before this, the outbox's last-line guard caught it inside the transaction and the
// merchant got a 500.

const PAN = '4111111111111111';
const GROUPED = '4111 1111 1111 1111';
const SPELLINGS = [PAN, GROUPED, GROUPED.replace(/ /g, '-')];

function assertRefused(res: { statusCode: number; body: string }, param: string): void {
  assert.equal(res.statusCode, 400, res.body);
  const error = JSON.parse(res.body).error;
  assert.equal(error.code, 'card_data_not_allowed', res.body);
  assert.equal(error.param, param);
  for (const s of SPELLINGS) assert.ok(!res.body.includes(s), 'the answer repeats the number');
}

function assertNowhere(texts: Record<string, string>): void {
  for (const s of SPELLINGS) {
    for (const [name, text] of Object.entries(texts)) {
      assert.ok(!text.includes(s), `${s} found in ${name}`);
    }
  }
}

test('web payments: a card number in description, descriptor or metadata is refused', async (t) => {
  const h = await webPaymentsHarness();
  t.after(() => h.close());
  const s = await shop(h);
  const token = await cardToken(h, s, '4242424242424242');
  const base = { amount: 1000, currency: 'JPY', payment_method: token };
  const count = async () =>
    Number((await h.api.db.sql`select count(*)::int as n from checkout_payments`)[0]!['n']);

  const before = await count();
  assertRefused(
    await post(h, s, '/v1/payments', { ...base, metadata: { order_id: PAN } }),
    'metadata.order_id',
  );
  assertRefused(
    await post(h, s, '/v1/payments', { ...base, description: `Card ${GROUPED}, exp 12/30` }),
    'description',
  );
  // A metadata key is stored and sent as its value is (it answered 500 before).
  assertRefused(
    await post(h, s, '/v1/payments', { ...base, metadata: { [PAN]: 'x' } }),
    'metadata',
  );
  assertRefused(
    await post(h, s, '/v1/payments', { ...base, statement_descriptor: PAN }),
    'statement_descriptor',
  );
  // The Idempotency-Key is stored with the answer: the same rule.
  assertRefused(await post(h, s, '/v1/payments', base, PAN), 'Idempotency-Key');
  assert.equal(await count(), before, 'a refused payment is not created');

  // An update is refused too, and the stored payment keeps what it had.
  const created = await ok(h, s, '/v1/payments', { ...base, metadata: { order_id: 'A-1001' } });
  const id = String(created['id']);
  assertRefused(
    await post(h, s, `/v1/payments/${id}`, { metadata: { note: `pay with ${GROUPED}` } }),
    'metadata.note',
  );
  const [row] = await h.api.db.sql`
    select metadata::text as m from checkout_payments where id = ${id}`;
  assert.equal(row!['m'], '{"order_id": "A-1001"}');

  // Long numbers that are not card numbers pass: a Luhn check tells them apart.
  const plain = await ok(h, s, '/v1/payments', {
    ...base,
    description: 'Order 4111111111111112',
    metadata: { order_id: '4111111111111112' },
  });
  assert.equal(plain['description'], 'Order 4111111111111112');

  assertNowhere({ database: await dumpDatabase(h.api.db), logs: h.api.logs.text() });
});

test('a refund reason, a webhook endpoint or a store name cannot carry a card number', async (t) => {
  const p = await payPlatform();
  t.after(() => p.close());
  const sk = { authorization: `Bearer ${p.merchant.secretKey}` };
  const endpoint = (payload: object) =>
    p.app.inject({
      method: 'POST',
      url: '/v1/webhook_endpoints',
      headers: { ...sk, ...idem() },
      payload: { event_types: ['code_payment.succeeded'], ...payload },
    });
  assertRefused(await endpoint({ url: `http://127.0.0.1:9/hook?card=${PAN}` }), 'url');
  assertRefused(
    await endpoint({ url: 'http://127.0.0.1:9/hook', description: `test card ${GROUPED}` }),
    'description',
  );
  const store = await p.app.inject({
    method: 'POST',
    url: '/v1/stores',
    headers: { ...sk, ...idem() },
    payload: { name: `Shop ${PAN}`, mcc: '5411', city: 'Tokyo', postal_code: '100-0001' },
  });
  assertRefused(store, 'name');
  const postal = await p.app.inject({
    method: 'POST',
    url: '/v1/stores',
    headers: { ...sk, ...idem() },
    payload: { name: 'Shop', mcc: '5411', city: 'Tokyo', postal_code: PAN },
  });
  assertRefused(postal, 'postal_code');
  const origins = await p.app.inject({
    method: 'POST',
    url: '/v1/allowed_origins',
    headers: { ...sk, ...idem() },
    payload: { origins: [`https://${PAN}.shop.example`] },
  });
  assertRefused(origins, 'origins.0');
  const endpoints = await p.db.sql`select count(*)::int as n from webhooks_endpoints`;
  assert.equal(endpoints[0]!['n'], 0, 'no endpoint was created');

  const u = await walletUser(p, 1);
  await fundWallet(p, u, 5_000);
  const paid = await registerPay(p, await issueCode(p, u), 1200);
  assert.equal(paid.statusCode, 200, paid.body);
  const payment = paid.json();
  const refund = await p.app.inject({
    method: 'POST',
    url: `/v1/code_payments/${payment.id}/refunds`,
    headers: { ...sk, ...idem() },
    payload: { amount: 200, reason: `customer card ${PAN}` },
  });
  assertRefused(refund, 'reason');
  const refunds = await p.db.sql`select count(*)::int as n from payments_refunds`;
  assert.equal(refunds[0]!['n'], 0, 'no refund was made');

  assertNowhere({ database: await dumpDatabase(p.db), logs: p.logs.text() });
});

import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { merchantApi, type MerchantApi } from './helpers/merchant-api.ts';

// Attack: merchant B learns (or guesses) an Idempotency-Key merchant A used, and replays it
// hoping to receive A's stored response (A's new terminal, A's store). Keys are scoped by
// the authenticated merchant, so B's request is B's own and never sees A's answer.

let api: MerchantApi;
before(async () => {
  api = await merchantApi();
});
after(() => api.close());

test("another merchant's Idempotency-Key never replays that merchant's response", async () => {
  const cli = { type: 'cli' as const };
  const a = await api.merchants.createMerchant({ name: 'Victim' }, cli);
  const b = await api.merchants.createMerchant({ name: 'Attacker' }, cli);
  const body = { name: 'Kyoto', mcc: '5411', city: 'Kyoto', postal_code: '600-8216' };
  const asA = await api.app.inject({
    method: 'POST',
    url: '/v1/stores',
    headers: { authorization: `Bearer ${a.secretKey}`, 'idempotency-key': 'order-42' },
    payload: body,
  });
  assert.equal(asA.statusCode, 201);
  const asB = await api.app.inject({
    method: 'POST',
    url: '/v1/stores',
    headers: { authorization: `Bearer ${b.secretKey}`, 'idempotency-key': 'order-42' },
    payload: body,
  });
  assert.equal(asB.statusCode, 201);
  assert.equal(asB.headers['idempotent-replayed'], undefined);
  assert.notEqual(asB.json().id, asA.json().id);
  assert.equal(asB.json().merchant_id, b.merchantId);
  // Nor can B probe A's keys for their parameters: a different body is B's own request too.
  const probe = await api.app.inject({
    method: 'POST',
    url: '/v1/stores',
    headers: { authorization: `Bearer ${b.secretKey}`, 'idempotency-key': 'order-43' },
    payload: { ...body, name: 'Other' },
  });
  assert.equal(probe.statusCode, 201);
});

test('a request without a valid key never claims an Idempotency-Key', async () => {
  const res = await api.app.inject({
    method: 'POST',
    url: '/v1/stores',
    headers: { authorization: 'Bearer sk_live_forged', 'idempotency-key': 'anon-1' },
    payload: { name: 'x', mcc: '5411', city: 'x', postal_code: '1' },
  });
  assert.equal(res.statusCode, 401);
  const [row] = await api.db
    .sql`select count(*)::int as n from idempotency_keys where key = 'anon-1'`;
  assert.equal(row?.['n'], 0);
});

import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { merchantApi, type MerchantApi } from './helpers/merchant-api.ts';

// Attack: a secret key leaks (committed to a public repository). The merchant revokes it;
// from that moment every request with it is refused, on reads and writes alike, and the
// refusal names the cause so the merchant's own logs make sense. A rolled key, by contrast,
// works only until its overlap ends.

let api: MerchantApi;
before(async () => {
  api = await merchantApi();
});
after(() => api.close());

test('a revoked key stops at once; a rolled key stops when its overlap ends', async () => {
  const cli = { type: 'cli' as const };
  const m = await api.merchants.createMerchant({ name: 'Leaky' }, cli);
  const leaked = await api.merchants.createApiKey(
    m.merchantId,
    { kind: 'secret', mode: 'live' },
    cli,
  );
  const as = (key: string) => ({ authorization: `Bearer ${key}` });
  let res = await api.app.inject({ method: 'GET', url: '/v1/stores', headers: as(leaked.value) });
  assert.equal(res.statusCode, 200);
  res = await api.app.inject({
    method: 'POST',
    url: `/v1/api_keys/${leaked.key.id}/revoke`,
    headers: { ...as(m.secretKey), 'idempotency-key': 'revoke-1' },
    payload: {},
  });
  assert.equal(res.statusCode, 200, res.body);
  assert.equal(res.json().status, 'revoked');
  for (const [method, url] of [
    ['GET', '/v1/stores'],
    ['POST', '/v1/api_keys'],
  ] as const) {
    res = await api.app.inject({
      method,
      url,
      headers: { ...as(leaked.value), 'idempotency-key': 'after-revoke' },
      ...(method === 'POST' ? { payload: { kind: 'secret' } } : {}),
    });
    assert.equal(res.statusCode, 401);
    assert.equal(res.json().error.code, 'api_key_revoked');
  }
  const rolled = await api.app.inject({
    method: 'POST',
    url: `/v1/api_keys/${m.keys[0]?.id}/roll`,
    headers: { ...as(m.secretKey), 'idempotency-key': 'roll-1' },
    payload: { overlap_seconds: 60 },
  });
  assert.equal(rolled.statusCode, 200, rolled.body);
  assert.match(rolled.json().secret, /^sk_live_/);
  res = await api.app.inject({ method: 'GET', url: '/v1/stores', headers: as(m.secretKey) });
  assert.equal(res.statusCode, 200, 'still inside the overlap');
  api.clock.advanceMs(61_000);
  res = await api.app.inject({ method: 'GET', url: '/v1/stores', headers: as(m.secretKey) });
  assert.equal(res.statusCode, 401);
  assert.equal(res.json().error.code, 'api_key_expired');
  const audit = await api.db.sql`
    select action from audit_entries where subject_id in (${leaked.key.id}, ${m.keys[0]?.id ?? ''})`;
  const actions = audit.map((r) => r['action']);
  assert.ok(
    actions.includes('merchants.api_key.revoked') && actions.includes('merchants.api_key.rolled'),
  );
});

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { cardPlatform, hostedHeaders, MERCHANT_ORIGIN, openHostedPage } from './helpers/cards.ts';

// ApparelX 2020: a merchant's page (or server) that handles card data can be turned against
// its customers. Kinko's tokenize endpoint takes card data only from its own hosted fields:
// Kinko's origin, with a live per-session key; a merchant server only when flagged.

const card = { number: '4242424242424242', exp_month: 12, exp_year: 2030, cvc: '123' };
const url = '/v1/vault/hosted/tokenize';

test('card data from any origin but the hosted fields is refused', async (t) => {
  const p = await cardPlatform();
  t.after(() => p.close());
  const { key } = await openHostedPage(p);
  for (const origin of [MERCHANT_ORIGIN, 'https://evil.example', 'null', undefined]) {
    const headers: Record<string, string> = { 'x-kinko-session-key': key };
    if (origin) headers['origin'] = origin;
    const res = await p.app.inject({ method: 'POST', url, headers, payload: card });
    assert.equal(res.statusCode, 403, String(origin));
    assert.equal(res.json().error.code, 'hosted_origin_refused');
    assert.equal(res.headers['access-control-allow-origin'], undefined);
  }
  const [{ n }] = (await p.db.sql`select count(*)::int as n from vault_cards`) as unknown as [
    { n: number },
  ];
  assert.equal(n, 0);
});

test('CORS: a preflight from a merchant page is refused; only Kinko’s own origin is allowed', async (t) => {
  const p = await cardPlatform();
  t.after(() => p.close());
  const refused = await p.app.inject({
    method: 'OPTIONS',
    url,
    headers: { origin: MERCHANT_ORIGIN, 'access-control-request-method': 'POST' },
  });
  assert.equal(refused.statusCode, 403);
  assert.equal(refused.headers['access-control-allow-origin'], undefined);
  const own = await p.app.inject({
    method: 'OPTIONS',
    url,
    headers: { origin: p.publicOrigin, 'access-control-request-method': 'POST' },
  });
  assert.equal(own.statusCode, 204);
  assert.equal(own.headers['access-control-allow-origin'], p.publicOrigin);
});

test('without a live per-session key nothing is tokenized', async (t) => {
  const p = await cardPlatform();
  t.after(() => p.close());
  const noKey = await p.app.inject({
    method: 'POST',
    url,
    headers: { origin: p.publicOrigin },
    payload: card,
  });
  assert.equal(noKey.json().error.code, 'hosted_session_invalid');
  const forged = await p.app.inject({
    method: 'POST',
    url,
    headers: hostedHeaders(p, `hsk_${'x'.repeat(43)}`),
    payload: card,
  });
  assert.equal(forged.json().error.code, 'hosted_session_invalid');
  const { key } = await openHostedPage(p);
  p.clock.advanceMs(p.limits.vaultHostedSessionSecondsMax * 1000 + 1);
  const expired = await p.app.inject({
    method: 'POST',
    url,
    headers: hostedHeaders(p, key),
    payload: card,
  });
  assert.equal(expired.json().error.code, 'hosted_session_invalid');
});

test('a session takes a few submissions at most (card testing through one page load)', async (t) => {
  const p = await cardPlatform();
  t.after(() => p.close());
  const { key } = await openHostedPage(p);
  const declined = { ...card, number: '4000000000000002' };
  for (let i = 0; i < p.limits.vaultHostedTokenizeAttemptsMax; i++) {
    const r = await p.app.inject({
      method: 'POST',
      url,
      headers: hostedHeaders(p, key),
      payload: declined,
    });
    assert.equal(r.json().error.code, 'card_declined');
  }
  const r = await p.app.inject({
    method: 'POST',
    url,
    headers: hostedHeaders(p, key),
    payload: card,
  });
  assert.equal(r.statusCode, 429);
  assert.equal(r.json().error.code, 'hosted_session_exhausted');
});

test('the hosted page is served only for a registered merchant origin', async (t) => {
  const p = await cardPlatform();
  t.after(() => p.close());
  const page = (pk: string, origin: string) =>
    p.app.inject({
      method: 'GET',
      url: `/hosted/fields?pk=${pk}&origin=${encodeURIComponent(origin)}`,
    });
  assert.equal(
    (await page(p.merchant.publishableKey, 'https://evil.example')).json().error.code,
    'parent_origin_not_registered',
  );
  assert.equal(
    (await page('pk_' + 'z'.repeat(24), MERCHANT_ORIGIN)).json().error.code,
    'hosted_publishable_key_invalid',
  );
});

test('a merchant server with a secret key may send card data only when flagged card-data-capable', async (t) => {
  const p = await cardPlatform();
  t.after(() => p.close());
  const res = await p.app.inject({
    method: 'POST',
    url: '/v1/vault/cards',
    headers: { authorization: `Bearer ${p.merchant.secretKey}` },
    payload: card,
  });
  assert.equal(res.statusCode, 403);
  assert.equal(res.json().error.code, 'card_data_not_permitted');
  const unknown = await p.app.inject({
    method: 'POST',
    url: '/v1/vault/cards',
    headers: { authorization: `Bearer sk_${'q'.repeat(32)}` },
    payload: card,
  });
  assert.equal(unknown.statusCode, 401);
  // An operator flags the merchant (PCI DSS SAQ D): the flag production reads.
  await p.db.sql`
    update merchants_merchants set card_data_capable = true where id = ${p.merchant.id}`;
  const ok = await p.app.inject({
    method: 'POST',
    url: '/v1/vault/cards',
    headers: { authorization: `Bearer ${p.merchant.secretKey}` },
    payload: card,
  });
  assert.equal(ok.statusCode, 200, ok.body);
  assert.deepEqual(Object.keys(ok.json()).sort(), ['bin', 'brand', 'last4', 'token']);
});

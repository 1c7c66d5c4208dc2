import { test } from 'node:test';
import assert from 'node:assert/strict';
import { auth, harness, signUp } from './helpers/identity-harness.ts';

// The apps' "am I signed in?" probes answer 200 either way, so a first visit logs no failed
// request; the session routes themselves still answer 401 without a session.

test('session probes: 200 signed_in false when signed out or expired, the account when in', async () => {
  const h = await harness();
  try {
    const state = (url: string, headers: Record<string, string> = {}) => h.app.inject({ method: 'GET', url, headers });
    for (const url of ['/v1/identity/session/state', '/v1/operator/session/state']) {
      const out = await state(url);
      assert.equal(out.statusCode, 200, url);
      assert.deepEqual(out.json(), { signed_in: false });
      assert.deepEqual((await state(url, { cookie: '__Host-kinko_session=ks_nope; __Host-kinko_operator=kos_nope' })).json(), { signed_in: false });
    }
    assert.equal((await state('/v1/identity/session')).statusCode, 401, 'the session route still needs a session');
    const c = await signUp(h, 3);
    const inside = await state('/v1/identity/session/state', auth(c.token));
    assert.equal(inside.json().signed_in, true);
    assert.equal(inside.json().customer_id, c.customerId);
    await h.app.inject({ method: 'POST', url: '/v1/identity/logout', headers: auth(c.token), payload: {} });
    assert.deepEqual((await state('/v1/identity/session/state', auth(c.token))).json(), { signed_in: false });
  } finally {
    await h.close();
  }
});

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { auth, harness, signUp, type Harness } from './helpers/identity-harness.ts';
import { enrolTotp, stepUpTotp } from './helpers/identity-factors.ts';

// Attack: a thief with the victim's password signs in from their own phone and signs the
// owner out everywhere, again and again, so the owner cannot act on the theft. Signing out
// everywhere needs the bound device and recent strong authentication, as other sensitive
// actions do; a password-only session gets a named refusal and ends no other session.

const everywhere = (h: Harness, token: string) =>
  h.app.inject({ method: 'POST', url: '/v1/identity/logout-everywhere', headers: auth(token), payload: {} });
const me = (h: Harness, token: string) =>
  h.app.inject({ method: 'GET', url: '/v1/identity/session', headers: auth(token) });

test('a stolen password on a new device cannot sign the owner out everywhere', async () => {
  const h = await harness();
  try {
    const victim = await signUp(h, 1);
    const { app } = await enrolTotp(h, victim);
    const owner = await stepUpTotp(h, victim.token, app);
    const login = await h.app.inject({
      method: 'POST', url: '/v1/identity/login', remoteAddress: '203.0.113.66',
      payload: { identifier: victim.email, password: victim.password },
    });
    assert.equal(login.statusCode, 200);
    const thief = login.json().session_token as string;

    for (let i = 0; i < 3; i++) {
      const res = await everywhere(h, thief);
      assert.equal(res.statusCode, 403, res.body);
      assert.equal(res.json().error.code, 'device_required');
    }
    assert.equal((await me(h, owner)).statusCode, 200, "the owner's device-bound session lives on");
    assert.equal((await me(h, thief)).statusCode, 200, 'nothing was signed out');

    // The owner's own device, once strong authentication is no longer recent, steps up first.
    h.clock.advanceMs((h.limits.identity.stepUpSecondsMax + 1) * 1000);
    const stale = await everywhere(h, owner);
    assert.equal(stale.json().error.code, 'step_up_required', stale.body);
    const fresh = await stepUpTotp(h, owner, app);
    const out = await everywhere(h, fresh);
    assert.equal(out.statusCode, 200, out.body);
    assert.ok(out.json().sessions_revoked >= 2);
    assert.equal((await me(h, thief)).json().error.code, 'session_expired', 'the thief is out');
    const audit = await h.db.sql`select 1 from audit_entries where action = 'identity.logout.everywhere'`;
    assert.equal(audit.length, 1, 'only the owner signed out everywhere');
  } finally {
    await h.close();
  }
});

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { auth, harness, signUp } from './helpers/identity-harness.ts';
import { enrolTotp, stepUpTotp } from './helpers/identity-factors.ts';

// The owner's path through a credential change: step-up on the bound device, a code to the
// new address, and a notice to the old one, so that a takeover cannot quietly move where
// recovery codes go.

test('changing the email needs step-up, proves the new address, and tells the old one', async () => {
  const h = await harness();
  try {
    const c = await signUp(h, 1);
    const { app } = await enrolTotp(h, c);
    // Enrolment counts as a step-up for a while; let that pass first.
    h.clock.advanceMs((h.limits.identity.stepUpSecondsMax + 1) * 1000);
    const post = (token: string, url: string, payload: object) =>
      h.app.inject({ method: 'POST', url, headers: auth(token), payload });
    const before = await post(c.token, '/v1/identity/contacts', { channel: 'email', value: 'new@example.com' });
    assert.equal(before.json().error.code, 'step_up_required');
    const token = await stepUpTotp(h, c.token, app);
    const start = await post(token, '/v1/identity/contacts', { channel: 'email', value: 'New@Example.com' });
    assert.equal(start.statusCode, 202, start.body);
    const changeId = start.json().change_id as string;
    assert.equal((await post(token, '/v1/identity/contacts/confirm', { change_id: changeId, code: '000000' })).json().error.code, 'verification_code_invalid');
    const code = await h.lastCode('new@example.com');
    assert.equal((await post(token, '/v1/identity/contacts/confirm', { change_id: changeId, code })).statusCode, 200);
    assert.equal((await post(token, '/v1/identity/contacts/confirm', { change_id: changeId, code })).json().error.code, 'verification_code_invalid');
    const me = await h.app.inject({ method: 'GET', url: '/v1/identity/session', headers: auth(token) });
    assert.equal(me.json().email, 'new@example.com');
    assert.ok((await h.mailbox(c.email)).some((m) => /email changed/.test(m.subject)), 'the old address is told');
    const login = await h.app.inject({ method: 'POST', url: '/v1/identity/login', payload: { identifier: 'new@example.com', password: c.password } });
    assert.equal(login.statusCode, 200);
  } finally {
    await h.close();
  }
});

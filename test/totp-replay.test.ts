import { test } from 'node:test';
import assert from 'node:assert/strict';
import { auth, harness, signUp } from './helpers/identity-harness.ts';
import { enrolTotp } from './helpers/identity-factors.ts';

// Attack: replay a TOTP code seen over a shoulder or phished, within its 30 seconds. Each
// code is accepted once; the step it matched and every earlier one are refused afterwards.

test('a TOTP code is accepted once, then refused, and earlier codes stay refused', async () => {
  const h = await harness();
  try {
    const c = await signUp(h, 1);
    const { app } = await enrolTotp(h, c);
    const code = app.code(h.clock.nowMs());
    const stepUp = (token: string, totp: string) => h.app.inject({
      method: 'POST', url: '/v1/identity/step-up', headers: auth(token), payload: { totp_code: totp },
    });
    const first = await stepUp(c.token, code);
    assert.equal(first.statusCode, 200);
    const token = first.json().session_token as string;
    assert.notEqual(token, c.token, 'step-up rotates the session token');
    const old = await h.app.inject({ method: 'GET', url: '/v1/identity/session', headers: auth(c.token) });
    assert.equal(old.json().error.code, 'session_expired', 'the pre-step-up token is dead');
    const replay = await stepUp(token, code);
    assert.equal(replay.statusCode, 401);
    assert.equal(replay.json().error.code, 'factor_invalid');
    h.clock.advanceMs(10_000);
    assert.equal((await stepUp(token, code)).json().error.code, 'factor_invalid', 'still refused in drift');
    const entries = await h.db.sql`select action, outcome from audit_entries where action like 'identity.step_up.%' order by id`;
    assert.deepEqual(entries.map((e) => `${e['action']}:${e['outcome']}`), [
      'identity.step_up.succeeded:success', 'identity.step_up.failed:failure', 'identity.step_up.failed:failure',
    ]);
  } finally {
    await h.close();
  }
});

test('guessing TOTP codes is capped per account', async () => {
  const h = await harness();
  try {
    const c = await signUp(h, 2);
    await enrolTotp(h, c);
    const codes: string[] = [];
    for (let i = 0; i < h.limits.identity.codeAttemptsMax + 1; i++) {
      const res = await h.app.inject({
        method: 'POST', url: '/v1/identity/step-up', headers: auth(c.token), payload: { totp_code: String(100000 + i) },
      });
      codes.push(res.json().error.code as string);
    }
    assert.equal(codes.at(-1), 'login_throttled');
  } finally {
    await h.close();
  }
});

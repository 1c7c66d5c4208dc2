import { test } from 'node:test';
import assert from 'node:assert/strict';
import { auth, harness, signUp } from './helpers/identity-harness.ts';

// Sign-up, sign-in and sessions through the HTTP API, with the answers that must not tell
// an attacker whether an account exists (OWASP ASVS 5.0 6.3.8).

test('sign-up verifies email and phone by code, then signs in; the session is a hashed token', async () => {
  const h = await harness();
  try {
    const c = await signUp(h, 1);
    let res = await h.app.inject({ method: 'GET', url: '/v1/identity/session', headers: auth(c.token) });
    assert.equal(res.statusCode, 200);
    assert.equal(res.json().email, c.email);
    const stored = await h.db.sql`select token_hash from identity_sessions`;
    assert.equal(stored.length, 1);
    assert.ok(!JSON.stringify(stored).includes(c.token));
    res = await h.app.inject({ method: 'POST', url: '/v1/identity/login', payload: { identifier: c.email, password: c.password } });
    assert.equal(res.statusCode, 200);
    const cookie = String(res.headers['set-cookie']);
    assert.match(cookie, /^__Host-kinko_session=ks_[\w-]+; Path=\/; Max-Age=\d+; HttpOnly; Secure; SameSite=Strict$/);
    const entries = await h.db.sql`select action from audit_entries order by id`;
    const actions = entries.map((e) => e['action']);
    assert.ok(actions.includes('identity.signup.completed') && actions.includes('identity.login.succeeded'));
  } finally {
    await h.close();
  }
});

test('common passwords and short ones are refused; no composition rules', async () => {
  const h = await harness();
  try {
    const post = (password: string) => h.app.inject({
      method: 'POST', url: '/v1/identity/signup', payload: { email: 'a@example.com', phone: '+819011112222', password },
    });
    assert.equal((await post('password1')).json().error.code, 'password_common');
    assert.equal((await post('short')).json().error.code, 'password_too_short');
    assert.equal((await post('all lower case words here')).statusCode, 202);
  } finally {
    await h.close();
  }
});

test('sign-up, login and recovery answer alike for existing and unknown accounts', async () => {
  const h = await harness();
  try {
    const c = await signUp(h, 2);
    const signup = (email: string) => h.app.inject({
      method: 'POST', url: '/v1/identity/signup', payload: { email, phone: '+819099990000', password: 'another fine passphrase' },
    });
    const a = await signup(c.email);
    const b = await signup('nobody@example.com');
    assert.equal(a.statusCode, b.statusCode);
    assert.deepEqual(Object.keys(a.json()), Object.keys(b.json()));
    const login = (identifier: string) => h.app.inject({
      method: 'POST', url: '/v1/identity/login', payload: { identifier, password: 'wrong password!' }, remoteAddress: '198.51.100.7',
    });
    const l1 = await login(c.email);
    const l2 = await login('nobody@example.com');
    assert.equal(l1.statusCode, 401);
    assert.deepEqual({ ...l1.json().error, request_id: 0 }, { ...l2.json().error, request_id: 0 });
    const rec = (identifier: string) => h.app.inject({ method: 'POST', url: '/v1/identity/recovery', payload: { identifier } });
    const r1 = await rec(c.email);
    const r2 = await rec('nobody@example.com');
    assert.equal(r1.statusCode, 202);
    assert.equal(r2.statusCode, 202);
    assert.deepEqual(Object.keys(r1.json()), Object.keys(r2.json()));
    // The real owner hears that someone tried to sign up with their address.
    assert.ok((await h.mailbox(c.email)).some((m) => /tried to create/.test(m.text)));
  } finally {
    await h.close();
  }
});

test('sessions end when idle, at their absolute limit, and everywhere on request', async () => {
  const h = await harness();
  try {
    const c = await signUp(h, 3);
    const me = (t: string) => h.app.inject({ method: 'GET', url: '/v1/identity/session', headers: auth(t) });
    h.clock.advanceMs((h.limits.identity.sessionIdleSecondsMax + 1) * 1000);
    assert.equal((await me(c.token)).json().error.code, 'session_expired');
    const login = async (who = c) => (await h.app.inject({ method: 'POST', url: '/v1/identity/login', payload: { identifier: who.phone, password: who.password } })).json().session_token as string;
    // Signing out everywhere is asked from the device bound at sign-up (the account has no
    // second factor yet, so that device is its strongest proof).
    const d = await signUp(h, 4);
    const t2 = await login(d);
    const out = await h.app.inject({ method: 'POST', url: '/v1/identity/logout-everywhere', headers: auth(d.token), payload: {} });
    assert.equal(out.statusCode, 200, out.body);
    assert.equal((await me(t2)).json().error.code, 'session_expired');
    const t3 = await login();
    for (let i = 0; i < 30; i++) {
      h.clock.advanceMs(25 * 60 * 1000);
      if ((await me(t3)).statusCode !== 200) break;
    }
    assert.equal((await me(t3)).json().error.code, 'session_expired');
  } finally {
    await h.close();
  }
});

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { harness, type Harness } from './helpers/identity-harness.ts';
import { authenticator } from './helpers/identity-factors.ts';

// Operators (PCI DSS 4.0 8.2.8, 8.3.4, 8.3.6, 8.4.2): no sign-in without TOTP, lockout after
// ten failures for thirty minutes, re-authentication after fifteen idle minutes, passwords
// of twelve characters or more, and least privilege per route.

const opAuth = (token: string) => ({ authorization: `Bearer ${token}` });

async function admin(h: Harness) {
  const created = await h.identity.createOperator({
    email: 'sec@kinko.example', name: 'Sec Admin', role: 'security_admin', password: 'operator passphrase one',
  });
  assert.match(created.otpauthUri, /^otpauth:\/\/totp\//);
  return { app: authenticator(created.totpSecret), email: 'sec@kinko.example', password: 'operator passphrase one' };
}

const login = (h: Harness, body: object) =>
  h.app.inject({ method: 'POST', url: '/v1/operator/login', payload: body, remoteAddress: '10.9.8.7' });

test('operator sign-in needs password and TOTP together; neither alone, no way around', async () => {
  const h = await harness();
  try {
    const a = await admin(h);
    assert.equal((await login(h, { email: a.email, password: a.password })).json().error.code, 'parameter_missing');
    assert.equal((await login(h, { email: a.email, password: a.password, totp_code: '000000' })).json().error.code, 'credentials_invalid');
    assert.equal((await login(h, { email: a.email, password: 'wrong passphrase!!', totp_code: a.app.code(h.clock.nowMs()) })).json().error.code, 'credentials_invalid');
    h.clock.advanceMs(30_000);
    const ok = await login(h, { email: a.email, password: a.password, totp_code: a.app.code(h.clock.nowMs()) });
    assert.equal(ok.statusCode, 200, ok.body);
    assert.match(String(ok.headers['set-cookie']), /^__Host-kinko_operator=kos_.*HttpOnly; Secure; SameSite=Strict$/);
    // A customer token is not an operator token.
    const me = await h.app.inject({ method: 'GET', url: '/v1/operator/me', headers: opAuth(ok.json().session_token) });
    assert.equal(me.json().role, 'security_admin');
    h.clock.advanceMs((h.limits.identity.operatorSessionIdleSecondsMax + 1) * 1000);
    const idle = await h.app.inject({ method: 'GET', url: '/v1/operator/me', headers: opAuth(ok.json().session_token) });
    assert.equal(idle.json().error.code, 'session_expired');
  } finally {
    await h.close();
  }
});

test('ten failures lock an operator for thirty minutes, even with the right password and code', async () => {
  const h = await harness();
  try {
    const a = await admin(h);
    for (let i = 0; i < h.limits.identity.operatorFailuresLockAfter; i++) {
      await login(h, { email: a.email, password: `wrong passphrase ${i}`, totp_code: '000000' });
      // Spread over time so that the per-account delay never answers first.
      h.clock.advanceMs(h.limits.identity.loginDelaySecondsMax * 1000);
    }
    let res = await login(h, { email: a.email, password: a.password, totp_code: a.app.code(h.clock.nowMs()) });
    assert.equal(res.json().error.code, 'operator_locked', res.body);
    h.clock.advanceMs(h.limits.identity.operatorLockSeconds * 1000 + 1000);
    res = await login(h, { email: a.email, password: a.password, totp_code: a.app.code(h.clock.nowMs()) });
    assert.equal(res.statusCode, 200, res.body);
    const locked = await h.db.sql`select 1 from audit_entries where action = 'identity.operator.locked'`;
    assert.equal(locked.length, 1);
  } finally {
    await h.close();
  }
});

test('least privilege: support reads, cannot freeze or create operators; short passwords refused', async () => {
  const h = await harness();
  try {
    const a = await admin(h);
    const adminToken = (await login(h, { email: a.email, password: a.password, totp_code: a.app.code(h.clock.nowMs()) })).json().session_token as string;
    const create = (body: object) => h.app.inject({ method: 'POST', url: '/v1/operator/operators', headers: opAuth(adminToken), payload: body });
    assert.equal((await create({ email: 's@kinko.example', name: 'S', role: 'support', password: 'elevenchars' })).json().error.code, 'password_too_short');
    const made = await create({ email: 's@kinko.example', name: 'S', role: 'support', password: 'support passphrase' });
    assert.equal(made.statusCode, 201, made.body);
    const support = authenticator(made.json().totp_secret);
    h.clock.advanceMs(30_000);
    const token = (await login(h, { email: 's@kinko.example', password: 'support passphrase', totp_code: support.code(h.clock.nowMs()) })).json().session_token as string;
    const id = '0190a000-0000-7000-8000-000000000000';
    const read = await h.app.inject({ method: 'GET', url: `/v1/operator/customers/${id}`, headers: opAuth(token) });
    assert.equal(read.json().error.code, 'customer_not_found', 'support may read (no such customer here)');
    const freeze = await h.app.inject({ method: 'POST', url: `/v1/operator/customers/${id}/freeze`, headers: opAuth(token), payload: {} });
    assert.equal(freeze.statusCode, 403);
    assert.equal(freeze.json().error.code, 'operator_access_denied');
    const escalate = await h.app.inject({ method: 'POST', url: '/v1/operator/operators', headers: opAuth(token), payload: { email: 'x@kinko.example', name: 'X', role: 'security_admin', password: 'escalation passphrase' } });
    assert.equal(escalate.json().error.code, 'operator_access_denied');
    const sources = await h.app.inject({ method: 'GET', url: '/v1/operator/throttled-sources', headers: opAuth(token) });
    assert.equal(sources.statusCode, 403);
    const customerToken = await h.app.inject({ method: 'GET', url: '/v1/operator/me', headers: { authorization: 'Bearer ks_notanoperator' } });
    assert.equal(customerToken.json().error.code, 'session_missing');
  } finally {
    await h.close();
  }
});

test('kinko operators create: password from the environment, TOTP secret printed once', async () => {
  const h = await harness();
  try {
    const out: string[] = [];
    const io = { out: (l: string) => out.push(l), err: (l: string) => out.push(l), env: {} };
    assert.equal(await h.identity.runOperatorsCreate(['--email', 'first@kinko.example', '--name', 'First'], io), 2);
    const env = { KINKO_OPERATOR_PASSWORD: 'first admin passphrase' };
    const code = await h.identity.runOperatorsCreate(['--email', 'first@kinko.example', '--name', 'First'], { ...io, env });
    assert.equal(code, 0, out.join('\n'));
    const secret = /secret\s+([A-Z2-7]+)/.exec(out.join('\n'))?.[1];
    assert.ok(secret && out.some((l) => l.includes('otpauth://totp/')));
    assert.ok(!out.join('\n').includes(env.KINKO_OPERATOR_PASSWORD), 'the password is never printed');
    const ok = await login(h, { email: 'first@kinko.example', password: env.KINKO_OPERATOR_PASSWORD, totp_code: authenticator(secret).code(h.clock.nowMs()) });
    assert.equal(ok.json().role, 'security_admin');
  } finally {
    await h.close();
  }
});

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { auth, harness, signUp, type Harness } from './helpers/identity-harness.ts';
import { enrolTotp } from './helpers/identity-factors.ts';

// Attack (7pay 2019): knowing a victim's email, birth date and phone, the attacker asked for
// a password reset to be sent to an address of their choosing. Here a reset goes only to
// contacts already verified on the account, nothing in the flow accepts an address, an
// enrolled second factor is never bypassed, and the owner can freeze the account.

const ATTACKER = 'attacker@evil.example';
const rec = (h: Harness, url: string, payload: object) =>
  h.app.inject({ method: 'POST', url: `/v1/identity/recovery${url}`, payload, remoteAddress: '192.0.2.10' });

test('nothing in the recovery flow accepts an address from the caller', async () => {
  const h = await harness();
  try {
    const victim = await signUp(h, 1);
    const smuggled = [
      { identifier: victim.email, email: ATTACKER },
      { identifier: victim.email, send_to: ATTACKER },
      { identifier: victim.email, phone: '+8613800000000' },
      { identifier: victim.email, birth_date: '1990-01-01', email: ATTACKER },
    ];
    for (const payload of smuggled) {
      const res = await rec(h, '', payload);
      assert.equal(res.statusCode, 400, JSON.stringify(payload));
      assert.equal(res.json().error.code, 'parameter_unknown');
    }
    const start = await rec(h, '', { identifier: victim.email });
    const id = start.json().recovery_id as string;
    for (const [url, payload] of [
      ['/verify', { recovery_id: id, code: '123456', email: ATTACKER }],
      ['/complete', { recovery_id: id, new_password: 'a new fine passphrase', email: ATTACKER }],
    ] as const) {
      assert.equal((await rec(h, url, payload)).json().error.code, 'parameter_unknown', url);
    }
    // An identifier that is itself an unverified address reaches nobody.
    await rec(h, '', { identifier: ATTACKER });
    assert.deepEqual(await h.mailbox(ATTACKER), []);
    const toVictim = (await h.mailbox(victim.email)).filter((m) => /recovery code/.test(m.text));
    assert.equal(toVictim.length, 1, 'the only code went to the verified email');
  } finally {
    await h.close();
  }
});

test('without a second factor, recovery needs the verified email code and the verified phone code', async () => {
  const h = await harness();
  try {
    const victim = await signUp(h, 2);
    const other = await signUp(h, 3);
    const id = (await rec(h, '', { identifier: victim.phone })).json().recovery_id as string;
    const emailCode = await h.lastCode(victim.email);
    const phoneCode = await h.lastCode(victim.phone);
    // A code from another flow or account does not open this one.
    await rec(h, '', { identifier: other.email });
    const otherCode = await h.lastCode(other.email);
    assert.equal((await rec(h, '/verify', { recovery_id: id, code: otherCode })).json().error.code, 'verification_code_invalid');
    const verified = await rec(h, '/verify', { recovery_id: id, code: emailCode });
    assert.deepEqual(verified.json(), { requires: ['phone_code'] });
    assert.equal((await rec(h, '/verify', { recovery_id: id, code: emailCode })).json().error.code, 'verification_code_invalid', 'single use');
    const noPhone = await rec(h, '/complete', { recovery_id: id, new_password: 'a new fine passphrase' });
    assert.equal(noPhone.json().error.code, 'factor_invalid');
    const done = await rec(h, '/complete', { recovery_id: id, new_password: 'a new fine passphrase', phone_code: phoneCode });
    assert.equal(done.statusCode, 200);
    assert.ok(done.json().money_hold_until, 'money movement is held after a recovery without a second factor');
    // The old session is gone; every contact got a freeze link.
    const me = await h.app.inject({ method: 'GET', url: '/v1/identity/session', headers: auth(victim.token) });
    assert.equal(me.json().error.code, 'session_expired');
    const link = (await h.mailbox(victim.email)).find((m) => /was reset/.test(m.subject))?.text ?? '';
    assert.ok((await h.mailbox(victim.phone)).some((m) => /Freeze/.test(m.text)));
    const token = /#token=([\w-]+)/.exec(link)?.[1];
    assert.ok(token, 'a "this was not me" link');
    assert.equal((await rec(h, '/complete', { recovery_id: id, new_password: 'again a new passphrase', phone_code: phoneCode })).json().error.code, 'verification_code_invalid', 'the flow is spent');
    const hold = await h.identity.moneyMovementHold(victim.customerId);
    assert.equal(hold.held, true);
    // "This was not me": the account freezes and the new session dies.
    const fresh = done.json().session_token as string;
    assert.equal((await h.app.inject({ method: 'POST', url: '/v1/identity/freeze', payload: { token } })).statusCode, 200);
    assert.equal((await h.app.inject({ method: 'GET', url: '/v1/identity/session', headers: auth(fresh) })).json().error.code, 'session_expired');
    const login = await h.app.inject({ method: 'POST', url: '/v1/identity/login', payload: { identifier: victim.email, password: 'a new fine passphrase' } });
    assert.equal(login.json().error.code, 'account_frozen');
    const actions = (await h.db.sql`select action from audit_entries where action like 'identity.recovery.%' or action = 'identity.account.frozen'`).map((e) => e['action']);
    for (const a of ['identity.recovery.requested', 'identity.recovery.email_verified', 'identity.recovery.completed', 'identity.account.frozen']) {
      assert.ok(actions.includes(a), a);
    }
  } finally {
    await h.close();
  }
});

test('with TOTP enrolled, the email code alone never resets; TOTP lifts the hold, a recovery code does not', async () => {
  const h = await harness();
  try {
    const victim = await signUp(h, 4);
    const { app, recoveryCodes } = await enrolTotp(h, victim);
    let id = (await rec(h, '', { identifier: victim.email })).json().recovery_id as string;
    assert.equal((await h.mailbox(victim.phone)).filter((m) => /recovery code/.test(m.text)).length, 0, 'no phone code: the factor is required');
    const verified = await rec(h, '/verify', { recovery_id: id, code: await h.lastCode(victim.email) });
    assert.deepEqual(verified.json().requires, ['totp', 'recovery_code']);
    assert.equal((await rec(h, '/complete', { recovery_id: id, new_password: 'a new fine passphrase', phone_code: '123456' })).json().error.code, 'factor_invalid');
    let done = await rec(h, '/complete', { recovery_id: id, new_password: 'a new fine passphrase', totp_code: app.code(h.clock.nowMs()) });
    assert.equal(done.statusCode, 200);
    assert.equal(done.json().money_hold_until, null, 'an existing second factor was used: no hold');
    h.clock.advanceMs(3600_000);
    id = (await rec(h, '', { identifier: victim.email })).json().recovery_id as string;
    await rec(h, '/verify', { recovery_id: id, code: await h.lastCode(victim.email) });
    done = await rec(h, '/complete', { recovery_id: id, new_password: 'yet another passphrase', recovery_code: recoveryCodes[0]!.toLowerCase() });
    assert.equal(done.statusCode, 200);
    assert.ok(done.json().money_hold_until, 'a recovery code is a fallback: the hold applies');
      const rows = await h.db.sql`select code_hash from identity_recovery_codes`;
      assert.ok(!JSON.stringify(rows).includes(recoveryCodes[1]!), 'recovery codes are stored hashed');
  } finally {
    await h.close();
  }
});

test('recovery tokens expire after 15 minutes and are rate-limited per account and per source', async () => {
  const h = await harness();
  try {
    const victim = await signUp(h, 5);
    const id = (await rec(h, '', { identifier: victim.email })).json().recovery_id as string;
    const code = await h.lastCode(victim.email);
    h.clock.advanceMs((h.limits.identity.recoverySecondsMax + 1) * 1000);
    assert.equal((await rec(h, '/verify', { recovery_id: id, code })).json().error.code, 'verification_code_invalid');
    const max = h.limits.identity.recoveryStartsPerAccountPerHourMax;
    let last;
    for (let i = 0; i < max; i++) last = await rec(h, '', { identifier: victim.email });
    assert.equal(last?.json().error.code, 'recovery_rate_limited');
    assert.ok(Number(last?.headers['retry-after']) > 0);
    const perSource = h.limits.identity.recoveryStartsPerSourcePerHourMax;
    for (let i = 0; i < perSource; i++) last = await rec(h, '', { identifier: `someone${i}@example.com` });
    assert.equal(last?.json().error.code, 'recovery_rate_limited');
  } finally {
    await h.close();
  }
});

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { testPlatform, type TestPlatform } from './helpers/platform.ts';
import { accept, as, cookieOf, COOKIE, nextStep, signIn, tokenOfLink } from './helpers/merchant-team.ts';

// The attack: get into a merchant's dashboard — where refunds are made and API keys minted —
// with a stolen password alone, or any way around the second factor. Every way tried here
// must fail: no factor, a wrong code, a replayed code, a spent recovery code, the invitation
// link used again or half-used, a forged or ended session, and the dashboard's routes with
// no session at all. (ApparelX 2021: two-step authentication for management tools.)

const ORIGIN = 'http://localhost:8080';

async function owner(p: TestPlatform) {
  const m = await p.modules.merchants.createMerchant({ name: 'Shop' }, { type: 'cli' });
  const { link } = await p.modules.merchants.inviteOwner(m.merchantId, 'owner@shop.example');
  return { merchant: m, link, person: await accept(p, link, 'owner@shop.example') };
}

const login = (p: TestPlatform, payload: object) =>
  p.app.inject({ method: 'POST', url: '/v1/dashboard/login', payload, remoteAddress: '10.1.2.3' });

test('dashboard sign-in needs password and a second factor; every way around it fails', async () => {
  const p = await testPlatform({ publicOrigin: ORIGIN });
  try {
    const { person: o, link } = await owner(p);
    const pw = { email: o.email, password: o.password };
    // No factor at all: refused by the schema before anything is checked.
    assert.equal((await login(p, pw)).statusCode, 400);
    assert.equal((await login(p, { ...pw, totp_code: '' })).statusCode, 400);
    // A wrong code with the right password, a right code with a wrong password.
    const wrongCode = await login(p, { ...pw, totp_code: '000000' });
    assert.equal(wrongCode.json().error.code, 'person_credentials_invalid');
    assert.equal(wrongCode.headers['set-cookie'], undefined);
    const code = o.app.code(p.clock.nowMs());
    const wrongPw = await login(p, { ...pw, password: 'not the password!', totp_code: code });
    assert.equal(wrongPw.json().error.code, 'person_credentials_invalid');
    // The right pair works once; the same code again is a replay.
    const ok = await login(p, { ...pw, totp_code: code });
    assert.equal(ok.statusCode, 200, ok.body);
    assert.match(String(ok.headers['set-cookie']), /^__Host-kinko_merchant=kms_.*HttpOnly; Secure; SameSite=Strict$/);
    assert.equal(ok.json().session_token, undefined, 'the token is never in a body script can read');
    assert.equal((await login(p, { ...pw, totp_code: code })).json().error.code, 'person_credentials_invalid');
    // A recovery code stands in for the code once, never twice.
    const rc = { ...pw, recovery_code: o.recoveryCodes[0]!.toLowerCase() };
    assert.equal((await login(p, rc)).statusCode, 200);
    assert.equal((await login(p, rc)).json().error.code, 'person_credentials_invalid');
    // A recovery code with a wrong password is not spent.
    const rc2 = { ...pw, recovery_code: o.recoveryCodes[1]! };
    assert.equal((await login(p, { ...rc2, password: 'wrong password!' })).statusCode, 401);
    assert.equal((await login(p, rc2)).statusCode, 200);
    // The invitation link is spent: neither step works again.
    const token = tokenOfLink(link);
    const again = await p.app.inject({ method: 'POST', url: '/v1/dashboard/invitation/start', payload: { token, password: 'another passphrase' } });
    assert.equal(again.json().error.code, 'invitation_invalid');
    const confirm = await p.app.inject({ method: 'POST', url: '/v1/dashboard/invitation/confirm', payload: { token, totp_code: '123456' } });
    assert.equal(confirm.json().error.code, 'invitation_invalid');
    // Dashboard routes: no session, a forged one, an API-style bearer of a session token.
    assert.equal((await p.app.inject({ method: 'GET', url: '/v1/stores' })).json().error.code, 'api_key_invalid');
    const forged = await as(p, `${COOKIE}=kms_forged`)('GET', '/v1/stores');
    assert.equal(forged.json().error.code, 'person_session_missing');
    const sessionToken = o.cookie.split('=')[1]!;
    const bearer = await p.app.inject({ method: 'GET', url: '/v1/stores', headers: { authorization: `Bearer ${sessionToken}` } });
    assert.equal(bearer.json().error.code, 'api_key_invalid');
    // A signed-out session is dead; so is an idle one.
    const s = cookieOf(ok);
    assert.equal((await as(p, s)('GET', '/v1/dashboard/me')).statusCode, 200);
    assert.equal((await as(p, s)('POST', '/v1/dashboard/logout', {})).statusCode, 200);
    assert.equal((await as(p, s)('GET', '/v1/dashboard/me')).json().error.code, 'person_session_expired');
    p.clock.advanceMs((p.limits.identity.operatorSessionIdleSecondsMax + 1) * 1000);
    assert.equal((await as(p, o)('GET', '/v1/stores')).json().error.code, 'person_session_expired');
  } finally {
    await p.close();
  }
});

test('an invitation half-accepted signs nobody in; an expired one is refused', async () => {
  const p = await testPlatform({ publicOrigin: ORIGIN });
  try {
    const m = await p.modules.merchants.createMerchant({ name: 'Shop' }, { type: 'cli' });
    const { link } = await p.modules.merchants.inviteOwner(m.merchantId, 'half@shop.example');
    const token = tokenOfLink(link);
    const password = 'half accepted passphrase';
    const start = await p.app.inject({ method: 'POST', url: '/v1/dashboard/invitation/start', payload: { token, password } });
    assert.equal(start.statusCode, 200, start.body);
    // The password alone, before the authenticator is proven, is no account at all.
    const early = await login(p, { email: 'half@shop.example', password, recovery_code: 'AAAA-AAAA-AAAA-AAAA' });
    assert.equal(early.json().error.code, 'person_credentials_invalid');
    const wrong = await p.app.inject({ method: 'POST', url: '/v1/dashboard/invitation/confirm', payload: { token, totp_code: '000000' } });
    assert.equal(wrong.json().error.code, 'totp_code_invalid');
    const late = await p.modules.merchants.inviteOwner(m.merchantId, 'late@shop.example');
    p.clock.advanceMs((p.limits.merchants.invitationSecondsMax + 1) * 1000);
    const expired = await p.app.inject({ method: 'POST', url: '/v1/dashboard/invitation/start', payload: { token: tokenOfLink(late.link), password } });
    assert.equal(expired.json().error.code, 'invitation_invalid');
  } finally {
    await p.close();
  }
});

test('ten failed sign-ins lock a merchant person, as an operator; counted in its own realm', async () => {
  const p = await testPlatform({ publicOrigin: ORIGIN });
  try {
    const { person: o } = await owner(p);
    for (let i = 0; i < p.limits.identity.operatorFailuresLockAfter; i++) {
      await login(p, { email: o.email, password: `wrong passphrase ${i}`, totp_code: '000000' });
      p.clock.advanceMs(p.limits.identity.loginDelaySecondsMax * 1000);
    }
    const locked = await signIn(p, o);
    assert.equal(locked.json().error.code, 'person_locked', locked.body);
    assert.ok(locked.json().error.retry_after_seconds > 0);
    p.clock.advanceMs(p.limits.identity.operatorLockSeconds * 1000 + 1000);
    nextStep(p);
    assert.equal((await signIn(p, o)).statusCode, 200);
    const audit = await p.db.sql`select actor_type, actor_id from audit_entries
      where action = 'merchants.person.locked'`;
    assert.deepEqual(audit.map((r) => [r['actor_type'], r['actor_id']]), [['merchant_person', o.personId]]);
    const buckets = await p.db.sql`select source_prefix from identity_source_failures`;
    assert.ok(buckets.every((b) => String(b['source_prefix']).startsWith('merchant:')));
  } finally {
    await p.close();
  }
});

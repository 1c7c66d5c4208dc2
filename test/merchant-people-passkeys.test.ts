import { test } from 'node:test';
import assert from 'node:assert/strict';
import { accept, as, cookieOf, invite, nextStep, type Person } from './helpers/merchant-team.ts';
import { payPlatform, type PayPlatform } from './helpers/payments-platform.ts';
import { softAuthenticator, type SoftAuthenticator } from './helpers/soft-authenticator.ts';

// Merchant people may use a passkey as their second factor: added with the session AND a
// current TOTP code, used with the password at sign-in. Every way around it fails: a
// replayed assertion, another person's passkey with this person's password, a phishing
// origin, a passkey without the password, a stolen session adding its own passkey without
// the code, and a removed passkey.

const ORIGIN = 'http://localhost:8080';
const RP_ID = 'localhost';

async function withPasskey(p: PayPlatform, who: Person): Promise<SoftAuthenticator> {
  const authn = softAuthenticator({ origin: ORIGIN, rpId: RP_ID });
  const call = as(p, who);
  const options = (await call('POST', '/v1/dashboard/passkeys/options', {})).json();
  assert.equal(options.rp.id, RP_ID);
  const res = await call('POST', '/v1/dashboard/passkeys', {
    credential: authn.register(options),
    totp_code: who.app.code(p.clock.nowMs()),
    name: 'Office laptop',
  });
  nextStep(p);
  assert.equal(res.statusCode, 201, res.body);
  assert.equal(res.json().name, 'Office laptop');
  return authn;
}

async function loginWith(
  p: PayPlatform,
  email: string,
  password: string,
  make: (o: { challenge: string }) => object,
) {
  const options = await p.app.inject({
    method: 'POST',
    url: '/v1/dashboard/login/passkey-options',
    payload: {},
  });
  assert.equal(options.statusCode, 200, options.body);
  assert.deepEqual(options.json().allowCredentials ?? [], [], 'the options name no account');
  const passkey = make(options.json());
  const res = await p.app.inject({
    method: 'POST',
    url: '/v1/dashboard/login',
    payload: { email, password, passkey },
  });
  return { res, passkey };
}

test('a passkey signs a merchant person in with the password, and only that way', async () => {
  const p = await payPlatform();
  try {
    const { link } = await p.modules.merchants.inviteOwner(p.merchant.merchantId, 'o@shop.example');
    const owner = await accept(p, link, 'o@shop.example');
    const admin = await invite(p, owner, 'a@shop.example', 'admin');
    const ownerKey = await withPasskey(p, owner);
    const adminKey = await withPasskey(p, admin);

    const ok = await loginWith(p, owner.email, owner.password, (o) => ownerKey.assert(o));
    assert.equal(ok.res.statusCode, 200, ok.res.body);
    assert.equal(ok.res.json().role, 'owner');
    const me = await as(p, cookieOf(ok.res))('GET', '/v1/dashboard/me');
    assert.equal(me.json().email, owner.email);

    const replay = await p.app.inject({
      method: 'POST',
      url: '/v1/dashboard/login',
      payload: { email: owner.email, password: owner.password, passkey: ok.passkey },
    });
    assert.equal(replay.statusCode, 401, 'a replayed assertion is refused');

    const foreign = await loginWith(p, owner.email, owner.password, (o) => adminKey.assert(o));
    assert.equal(foreign.res.statusCode, 401, "another person's passkey is refused");
    const phished = await loginWith(p, owner.email, owner.password, (o) =>
      ownerKey.assert(o, { origin: 'https://kinko-login.example' }),
    );
    assert.equal(phished.res.statusCode, 401, 'an assertion made for another origin fails');
    const wrong = await loginWith(p, owner.email, 'not the password', (o) => ownerKey.assert(o));
    assert.equal(wrong.res.json().error.code, 'person_credentials_invalid');
    const alone = await p.app.inject({
      method: 'POST',
      url: '/v1/dashboard/login',
      payload: { email: owner.email, passkey: ok.passkey },
    });
    assert.equal(alone.statusCode, 400, 'no sign-in without the password');

    const [used] = await p.db.sql<Array<{ factor: string }>>`
      select (detail::jsonb)->>'factor' as factor from audit_entries
      where action = 'merchants.person.login_succeeded' order by seq desc limit 1`;
    assert.equal(used?.factor, 'passkey');
  } finally {
    await p.close();
  }
});

test('a stolen session cannot add or remove a passkey without a current code', async () => {
  const p = await payPlatform();
  try {
    const { link } = await p.modules.merchants.inviteOwner(p.merchant.merchantId, 'o@shop.example');
    const owner = await accept(p, link, 'o@shop.example');
    const thief = softAuthenticator({ origin: ORIGIN, rpId: RP_ID });
    const call = as(p, owner);
    const options = (await call('POST', '/v1/dashboard/passkeys/options', {})).json();
    const planted = await call('POST', '/v1/dashboard/passkeys', {
      credential: thief.register(options),
      totp_code: '000000',
      name: 'attacker',
    });
    assert.equal(planted.statusCode, 400, planted.body);
    assert.equal(planted.json().error.code, 'totp_code_invalid');
    assert.deepEqual((await call('GET', '/v1/dashboard/passkeys')).json().data, []);

    const key = await withPasskey(p, owner);
    const [listed] = (await call('GET', '/v1/dashboard/passkeys')).json().data;
    const id = encodeURIComponent(listed.credential_id as string);
    const refused = await call('POST', `/v1/dashboard/passkeys/${id}/remove`, {
      totp_code: '000000',
    });
    assert.equal(refused.json().error.code, 'totp_code_invalid');
    const removed = await call('POST', `/v1/dashboard/passkeys/${id}/remove`, {
      totp_code: owner.app.code(p.clock.nowMs()),
    });
    assert.equal(removed.statusCode, 200, removed.body);
    const after = await loginWith(p, owner.email, owner.password, (o) => key.assert(o));
    assert.equal(after.res.statusCode, 401, 'a removed passkey signs no one in');
  } finally {
    await p.close();
  }
});

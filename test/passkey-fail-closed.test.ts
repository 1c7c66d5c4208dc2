import { test } from 'node:test';
import assert from 'node:assert/strict';
import { generateKeyPairSync } from 'node:crypto';
import { auth, harness, signUp, ORIGIN, type Harness } from './helpers/identity-harness.ts';
import { softAuthenticator } from './helpers/soft-authenticator.ts';

// Passkeys: registration and sign-in succeed with a real (software) authenticator and fail
// closed on a phishing origin, a challenge Kinko never issued, a replayed assertion, a
// counter that goes back (a cloned authenticator), another RP ID and a foreign key.

const RP_ID = 'localhost';
const post = (h: Harness, url: string, token: string, payload: object) =>
  h.app.inject({ method: 'POST', url, headers: auth(token), payload });

async function registered(h: Harness, n: number) {
  const c = await signUp(h, n);
  const authn = softAuthenticator({ origin: ORIGIN, rpId: RP_ID });
  const options = (await post(h, '/v1/identity/factors/passkey/options', c.token, {})).json();
  assert.equal(options.rp.id, RP_ID);
  const res = await post(h, '/v1/identity/factors/passkey', c.token, { credential: authn.register(options) });
  assert.equal(res.statusCode, 200, res.body);
  assert.equal(res.json().recovery_codes.length, h.limits.identity.recoveryCodesPerSet);
  return { c, authn };
}

const stepUp = async (h: Harness, token: string, make: (o: { challenge: string }) => object) => {
  const options = (await post(h, '/v1/identity/step-up/passkey/options', token, {})).json();
  return post(h, '/v1/identity/step-up', token, { passkey: make(options) });
};

test('passkey registration and step-up succeed; a replayed assertion is refused', async () => {
  const h = await harness();
  try {
    const { c, authn } = await registered(h, 1);
    const options = (await post(h, '/v1/identity/step-up/passkey/options', c.token, {})).json();
    const assertion = authn.assert(options);
    const ok = await post(h, '/v1/identity/step-up', c.token, { passkey: assertion });
    assert.equal(ok.statusCode, 200, ok.body);
    assert.equal(ok.json().factor, 'passkey');
    const token = ok.json().session_token as string;
    const replay = await post(h, '/v1/identity/step-up', token, { passkey: assertion });
    assert.equal(replay.json().error.code, 'factor_invalid');
    const session = (await h.app.inject({ method: 'GET', url: '/v1/identity/session', headers: auth(token) })).json();
    assert.deepEqual(session.factors, ['passkey']);
  } finally {
    await h.close();
  }
});

test('registration fails closed on a wrong origin, a wrong RP ID or an unissued challenge', async () => {
  const h = await harness();
  try {
    const c = await signUp(h, 2);
    const authn = softAuthenticator({ origin: ORIGIN, rpId: RP_ID });
    const attempts = [
      { origin: 'https://kinko-login.evil.example' },
      { rpId: 'evil.example' },
    ];
    for (const o of attempts) {
      const options = (await post(h, '/v1/identity/factors/passkey/options', c.token, {})).json();
      const res = await post(h, '/v1/identity/factors/passkey', c.token, { credential: authn.register(options, o) });
      assert.equal(res.json().error.code, 'passkey_invalid', JSON.stringify(o));
    }
    const forged = authn.register({ challenge: Buffer.alloc(32, 7).toString('base64url') });
    assert.equal((await post(h, '/v1/identity/factors/passkey', c.token, { credential: forged })).json().error.code, 'passkey_invalid');
    assert.equal((await h.db.sql`select 1 from identity_passkeys`).length, 0);
  } finally {
    await h.close();
  }
});

test('authentication fails closed: phishing origin, unissued challenge, counter going back, foreign key', async () => {
  const h = await harness();
  try {
    const { c, authn } = await registered(h, 3);
    const code = async (make: (o: { challenge: string }) => object) => (await stepUp(h, c.token, make)).json().error?.code;
    assert.equal(await code((o) => authn.assert(o, { origin: 'https://kinko-login.evil.example' })), 'factor_invalid');
    assert.equal(await code((o) => authn.assert(o, { rpId: 'evil.example' })), 'factor_invalid');
    assert.equal(await code(() => authn.assert({ challenge: Buffer.alloc(32, 9).toString('base64url') })), 'factor_invalid');
    const stranger = generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey;
    assert.equal(await code((o) => authn.assert(o, { key: stranger })), 'factor_invalid');
    // A good assertion moves the counter to 5; a clone replaying counter 3 is refused.
    const good = await stepUp(h, c.token, (o) => authn.assert(o, { counter: 5 }));
    assert.equal(good.statusCode, 200, good.body);
    const token = good.json().session_token as string;
    const clone = await stepUp(h, token, (o) => authn.assert(o, { counter: 3 }));
    assert.equal(clone.json().error.code, 'factor_invalid');
    const actions = await h.db.sql`select outcome from audit_entries where action like 'identity.step_up.%' order by id`;
    assert.deepEqual(actions.map((a) => a['outcome']), ['failure', 'failure', 'failure', 'failure', 'success', 'failure']);
  } finally {
    await h.close();
  }
});

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { auth, deviceKey, harness, proof, signUp, type Harness } from './helpers/identity-harness.ts';
import { enrolTotp, stepUpTotp } from './helpers/identity-factors.ts';

// Attack (7pay 2019): the attacker has the victim's correct password (stuffed or phished)
// and signs in from their own phone. They must not be able to top up, create a payment
// code, link a card, or change the email, phone, password or factors.

/** The payments module's money-moving routes, each with a well-formed body. */
const MONEY = {
  topup: { url: '/v1/wallet/topups', body: { amount: 1000, card_token: 'card_none' } },
  payment_code: { url: '/v1/wallet/payment_codes', body: {} },
  card_link: { url: '/v1/wallet/cards', body: { card_token: 'card_none' } },
} as const;
type Money = keyof typeof MONEY;

let keys = 0;
/** A POST to a money route, with an Idempotency-Key as the wallet app sends. */
const money = (h: Harness, action: Money, token: string, headers: Record<string, string> = {}) =>
  post(h, MONEY[action].url, token, MONEY[action].body, {
    'idempotency-key': `stolen-${++keys}`,
    ...headers,
  });

const post = (h: Harness, url: string, token: string, payload: object = {}, headers: Record<string, string> = {}) =>
  h.app.inject({ method: 'POST', url, headers: { ...auth(token), ...headers }, payload, remoteAddress: '203.0.113.66' });

test('a correct stolen password on a new device moves no money and changes no credential', async () => {
  const h = await harness();
  try {
    const victim = await signUp(h, 1);
    await enrolTotp(h, victim);
    const login = await h.app.inject({
      method: 'POST', url: '/v1/identity/login', payload: { identifier: victim.email, password: victim.password }, remoteAddress: '203.0.113.66',
    });
    assert.equal(login.statusCode, 200, 'the password alone signs in: that is all it does');
    const thief = login.json().session_token as string;

    const refused: Record<string, string> = {};
    for (const action of Object.keys(MONEY) as Money[]) refused[action] = (await money(h, action, thief)).json().error.code;
    refused['email'] = (await post(h, '/v1/identity/contacts', thief, { channel: 'email', value: 'thief@evil.example' })).json().error.code;
    refused['phone'] = (await post(h, '/v1/identity/contacts', thief, { channel: 'phone', value: '+8613800000000' })).json().error.code;
    refused['password'] = (await post(h, '/v1/identity/password', thief, { current_password: victim.password, new_password: 'thief owns this now' })).json().error.code;
    refused['totp'] = (await post(h, '/v1/identity/factors/totp', thief)).json().error.code;
    refused['passkey'] = (await post(h, '/v1/identity/factors/passkey', thief, { credential: { id: 'x', rawId: 'x', type: 'public-key', response: { clientDataJSON: 'x', attestationObject: 'x' }, clientExtensionResults: {} } })).json().error.code;
    refused['recovery_codes'] = (await post(h, '/v1/identity/factors/recovery-codes', thief)).json().error.code;
    for (const [what, code] of Object.entries(refused)) assert.equal(code, 'device_required', what);

    // The thief's own phone registers, but stays pending: confirming it needs the victim's
    // phone or second factor, and guessing the code is capped.
    const phone = deviceKey();
    const reg = await post(h, '/v1/identity/devices', thief, { name: 'thief phone', public_key: phone.publicJwk });
    assert.equal(reg.statusCode, 202);
    const thiefDevice = reg.json().device_id as string;
    for (let i = 0; i < h.limits.identity.codeAttemptsMax + 2; i++) {
      const r = await post(h, `/v1/identity/devices/${thiefDevice}/confirm`, thief, { phone_code: String(100000 + i) });
      assert.equal(r.json().error.code, 'verification_code_invalid');
    }
    const realCode = await h.lastCode(victim.phone);
    const late = await post(h, `/v1/identity/devices/${thiefDevice}/confirm`, thief, { phone_code: realCode });
    assert.equal(late.json().error.code, 'verification_code_invalid', 'attempts are used up even for the right code');
    assert.equal((await post(h, '/v1/identity/devices/challenge', thief, { device_id: thiefDevice, action: 'session_bind' })).json().error.code, 'device_not_found');

    // Binding the victim's own device needs the victim's device key.
    const challenge = await post(h, '/v1/identity/devices/challenge', thief, { device_id: victim.deviceId, action: 'session_bind' });
    const forged = phone.prove('session_bind', challenge.json().challenge as string);
    const bind = await post(h, '/v1/identity/session/device', thief, {}, { 'kinko-device-proof': forged });
    assert.equal(bind.json().error.code, 'device_proof_invalid');
    // A wrong TOTP does not step up either.
    assert.equal((await post(h, '/v1/identity/step-up', thief, { totp_code: '000000' })).json().error.code, 'factor_invalid');
    for (const action of Object.keys(MONEY) as Money[]) assert.equal((await money(h, action, thief)).statusCode, 403);

    // The victim heard about the new device on every contact.
    for (const address of [victim.email, victim.phone]) {
      assert.ok((await h.mailbox(address)).some((m) => /new device/i.test(m.subject)), address);
    }
  } finally {
    await h.close();
  }
});

test('the owner on the bound device, after step-up and with a fresh device proof, can move money — once per proof', async () => {
  const h = await harness();
  try {
    const owner = await signUp(h, 2);
    const { app } = await enrolTotp(h, owner);
    // Enrolment counts as a step-up for a while; let that pass first.
    h.clock.advanceMs((h.limits.identity.stepUpSecondsMax + 1) * 1000);
    let res = await money(h, 'topup', owner.token);
    assert.equal(res.json().error.code, 'step_up_required');
    assert.deepEqual(res.json().error.step_up.factors, ['totp']);
    assert.equal(res.json().error.step_up.endpoint, '/v1/identity/step-up');
    const token = await stepUpTotp(h, owner.token, app);
    res = await money(h, 'topup', token);
    assert.equal(res.json().error.code, 'device_proof_invalid', 'no proof, no money');
    // Issuing a payment code needs nothing but the proof (no card, no balance).
    const p = await proof(h, token, owner.deviceId, owner.device, 'payment_code');
    res = await money(h, 'payment_code', token, { 'kinko-device-proof': p });
    assert.equal(res.statusCode, 200, res.body);
    res = await money(h, 'payment_code', token, { 'kinko-device-proof': p });
    assert.equal(res.json().error.code, 'device_proof_invalid', 'a proof is single use');
    const other = await proof(h, token, owner.deviceId, owner.device, 'topup');
    res = await money(h, 'card_link', token, { 'kinko-device-proof': other });
    assert.equal(res.json().error.code, 'device_proof_invalid', 'a proof is bound to its action');
    h.clock.advanceMs((h.limits.identity.stepUpSecondsMax + 1) * 1000);
    const stale = await proof(h, token, owner.deviceId, owner.device, 'topup');
    res = await money(h, 'topup', token, { 'kinko-device-proof': stale });
    assert.equal(res.json().error.code, 'step_up_required', 'strong authentication is only recent for a while');
  } finally {
    await h.close();
  }
});

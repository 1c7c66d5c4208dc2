import { test } from 'node:test';
import assert from 'node:assert/strict';
import { promoteRules } from './helpers/risk-rules.ts';
import { auth, deviceKey, signUp, type DeviceKey } from './helpers/identity-harness.ts';
import { payPlatform, walletUser, type PayPlatform } from './helpers/payments-platform.ts';

// Confirming a new device goes through the risk engine, fed with identity's facts: a rule
// set promoted here refuses a phone key already registered on another account (a mule's
// phone) and, right after a security change, refuses a text-message code but accepts the
// authenticator. The customer is told why in plain words. Without the wiring (or the facts)
// both devices would be confirmed by the text-message code.

async function promote(p: PayPlatform) {
  await promoteRules(p, [
    {
      id: 'device_shared_key',
      kinds: ['device_confirm'],
      when: { '>=': [{ var: 'device_accounts' }, 2] },
      decision: 'block',
      reason: 'shared_device',
    },
    {
      id: 'device_after_change',
      kinds: ['device_confirm'],
      when: { '<': [{ var: 'security_change_minutes' }, 1440] },
      decision: 'step_up',
      reason: 'security_change_recent',
    },
  ]);
}

async function addDevice(p: PayPlatform, token: string, key: DeviceKey): Promise<string> {
  const res = await p.app.inject({
    method: 'POST',
    url: '/v1/identity/devices',
    headers: auth(token),
    payload: { name: 'second phone', public_key: key.publicJwk },
  });
  assert.equal(res.statusCode, 202, res.body);
  return res.json().device_id as string;
}

const confirm = (p: PayPlatform, token: string, id: string, payload: object) =>
  p.app.inject({
    method: 'POST',
    url: `/v1/identity/devices/${id}/confirm`,
    headers: auth(token),
    payload,
  });

test('a phone key already on another account is refused: device_confirm_blocked', async () => {
  const p = await payPlatform();
  try {
    await promote(p);
    const owner = await signUp(p, 1);
    const other = await signUp(p, 2);
    const id = await addDevice(p, other.token, owner.device);
    const refused = await confirm(p, other.token, id, {
      phone_code: await p.lastCode(other.phone),
    });
    assert.equal(refused.statusCode, 403, refused.body);
    assert.equal(refused.json().error.code, 'device_confirm_blocked');
    assert.equal(
      refused.json().error.reason,
      'This phone has been used with several Kinko accounts.',
    );
    assert.doesNotMatch(refused.body, /device_shared_key/);
    const [d] = await p.db.sql<{ status: string }[]>`
      select status from identity_devices where id = ${id}`;
    assert.equal(d?.status, 'pending');
    const [row] = await p.db.sql<{ decision: string; subject_id: string; n: number }[]>`
      select decision, subject_id, (signals->>'device_accounts')::int as n
      from risk_decisions where kind = 'device_confirm'`;
    assert.deepEqual({ ...row }, { decision: 'block', subject_id: id, n: 2 });
    // A phone of its own is confirmed as before.
    const own = await addDevice(p, other.token, deviceKey());
    const ok = await confirm(p, other.token, own, { phone_code: await p.lastCode(other.phone) });
    assert.equal(ok.statusCode, 200, ok.body);
  } finally {
    await p.close();
  }
});

test('after a security change a text-message code is not enough; the authenticator is', async () => {
  const p = await payPlatform();
  try {
    await promote(p);
    const u = await walletUser(p, 1);
    const renewed = await p.app.inject({
      method: 'POST',
      url: '/v1/identity/factors/recovery-codes',
      headers: auth(u.token),
      payload: {},
    });
    assert.equal(renewed.statusCode, 200, renewed.body);
    const id = await addDevice(p, u.token, deviceKey());
    const weak = await confirm(p, u.token, id, { phone_code: await p.lastCode(u.phone) });
    assert.equal(weak.statusCode, 403, weak.body);
    assert.equal(weak.json().error.code, 'device_confirm_factor_required');
    assert.equal(
      weak.json().error.reason,
      'Your password, contact details or sign-in methods were changed recently.',
    );
    p.clock.advanceMs(30_000);
    const strong = await confirm(p, u.token, id, { totp_code: u.app.code(p.clock.nowMs()) });
    assert.equal(strong.statusCode, 200, strong.body);
  } finally {
    await p.close();
  }
});

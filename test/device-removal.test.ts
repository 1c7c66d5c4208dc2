import { test } from 'node:test';
import assert from 'node:assert/strict';
import { auth, deviceKey, proof } from './helpers/identity-harness.ts';
import {
  payPlatform,
  walletUser,
  type PayPlatform,
  type WalletUser,
} from './helpers/payments-platform.ts';

// Removing a device: it needs a recent step-up, the device can sign nothing afterwards, the
// sessions bound to it end at once, every contact is told and the audit trail records it.

/** A second confirmed device and a second session bound to it. */
async function secondDevice(p: PayPlatform, u: WalletUser) {
  const key = deviceKey();
  let res = await p.app.inject({
    method: 'POST',
    url: '/v1/identity/devices',
    headers: auth(u.token),
    payload: { name: 'tablet', public_key: key.publicJwk },
  });
  assert.equal(res.statusCode, 202, res.body);
  const deviceId = res.json().device_id as string;
  res = await p.app.inject({
    method: 'POST',
    url: `/v1/identity/devices/${deviceId}/confirm`,
    headers: auth(u.token),
    payload: { totp_code: u.app.code(p.clock.nowMs()) },
  });
  assert.equal(res.statusCode, 200, res.body);
  p.clock.advanceMs(30_000);
  res = await p.app.inject({
    method: 'POST',
    url: '/v1/identity/login',
    payload: { identifier: u.email, password: u.password },
  });
  assert.equal(res.statusCode, 200, res.body);
  const token = res.json().session_token as string;
  const bind = await proof(p, token, deviceId, key, 'session_bind');
  res = await p.app.inject({
    method: 'POST',
    url: '/v1/identity/session/device',
    headers: { ...auth(token), 'kinko-device-proof': bind },
    payload: {},
  });
  assert.equal(res.statusCode, 200, res.body);
  return { deviceId, key, token };
}

const remove = (p: PayPlatform, token: string, id: string) =>
  p.app.inject({ method: 'DELETE', url: `/v1/identity/devices/${id}`, headers: auth(token) });

test('a removed device signs nothing more and its sessions end at once', async () => {
  const p = await payPlatform();
  try {
    const u = await walletUser(p, 1);
    const tablet = await secondDevice(p, u);
    // A bind challenge issued before the removal, to be signed by the removed key after it.
    const pending = await p.app.inject({
      method: 'POST',
      url: '/v1/identity/devices/challenge',
      headers: auth(u.token),
      payload: { device_id: tablet.deviceId, action: 'session_bind' },
    });
    assert.equal(pending.statusCode, 200, pending.body);
    const res = await remove(p, u.token, tablet.deviceId);
    assert.equal(res.statusCode, 200, res.body);
    assert.deepEqual(res.json(), {
      device_id: tablet.deviceId,
      status: 'removed',
      sessions_revoked: 1,
    });
    const old = await p.app.inject({
      method: 'GET',
      url: '/v1/identity/session',
      headers: auth(tablet.token),
    });
    assert.equal(old.statusCode, 401, 'the session bound to the removed device ended');
    const signed = tablet.key.prove('session_bind', pending.json().challenge as string);
    const bind = await p.app.inject({
      method: 'POST',
      url: '/v1/identity/session/device',
      headers: { ...auth(u.token), 'kinko-device-proof': signed },
      payload: {},
    });
    assert.equal(bind.json().error.code, 'device_proof_invalid', 'a removed key proves nothing');
    const fresh = await p.app.inject({
      method: 'POST',
      url: '/v1/identity/devices/challenge',
      headers: auth(u.token),
      payload: { device_id: tablet.deviceId, action: 'session_bind' },
    });
    assert.equal(fresh.json().error.code, 'device_not_found');
    const list = await p.app.inject({
      method: 'GET',
      url: '/v1/identity/devices',
      headers: auth(u.token),
    });
    assert.deepEqual(
      (list.json().devices as { id: string }[]).map((d) => d.id),
      [u.deviceId],
    );
    const mine = await p.app.inject({ method: 'GET', url: '/v1/wallet', headers: auth(u.token) });
    assert.equal(mine.statusCode, 200, 'the session on the other device goes on');
    for (const to of [u.email, u.phone]) {
      const texts = (await p.mailbox(to)).map((m) => m.text).join('\n');
      assert.match(texts, /"tablet" was removed/, to);
    }
    const [row] = await p.db.sql<{ n: number }[]>`
      select count(*)::int as n from audit_entries
      where action = 'identity.device.removed' and subject_id = ${u.customerId}`;
    assert.equal(row?.n, 1);
    const again = await remove(p, u.token, tablet.deviceId);
    assert.equal(again.json().error.code, 'device_not_found');
  } finally {
    await p.close();
  }
});

test('removing the current device ends the current session', async () => {
  const p = await payPlatform();
  try {
    const u = await walletUser(p, 2);
    const res = await remove(p, u.token, u.deviceId);
    assert.equal(res.statusCode, 200, res.body);
    const after = await p.app.inject({ method: 'GET', url: '/v1/wallet', headers: auth(u.token) });
    assert.equal(after.statusCode, 401);
  } finally {
    await p.close();
  }
});

test('removing a device needs a recent step-up, and only the owner can do it', async () => {
  const p = await payPlatform();
  try {
    const u = await walletUser(p, 3);
    const other = await walletUser(p, 4);
    const foreign = await remove(p, u.token, other.deviceId);
    assert.equal(foreign.json().error.code, 'device_not_found');
    p.clock.advanceMs((p.limits.identity.stepUpSecondsMax + 1) * 1000);
    const stale = await remove(p, u.token, u.deviceId);
    assert.equal(stale.statusCode, 403, stale.body);
    assert.equal(stale.json().error.code, 'step_up_required');
    const list = await p.app.inject({
      method: 'GET',
      url: '/v1/identity/devices',
      headers: auth(u.token),
    });
    assert.equal((list.json().devices as unknown[]).length, 1, 'nothing was removed');
  } finally {
    await p.close();
  }
});

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { auth, deviceKey, proof } from './helpers/identity-harness.ts';
import {
  hostedCardToken,
  idem,
  payPlatform,
  walletPost,
  walletUser,
} from './helpers/payments-platform.ts';

// A device proof is used up and its acceptance audited in one round trip, before the proof
// is checked: a refused proof (replayed, forged, another session's) must roll all of that
// back, so no `proof_accepted` entry is left and no money moves. A challenge is issued only
// for the caller's own confirmed device, by the statement that writes it.

test('a refused device proof leaves no accepted entry and moves no money', async () => {
  const p = await payPlatform();
  try {
    const u = await walletUser(p, 1);
    const other = await walletUser(p, 2);
    const card = await hostedCardToken(p, '4242424242424242');
    const link = await walletPost(p, u, '/v1/wallet/cards', 'card_link', { card_token: card });
    assert.equal(link.statusCode, 200, link.body);
    const accepted = async () => {
      const [row] = await p.db.sql<{ n: number }[]>`
        select count(*)::int as n from audit_entries
        where action = 'identity.device.proof_accepted' and subject_id = ${u.customerId}`;
      return row?.n ?? 0;
    };
    const topups = async () => {
      const [row] = await p.db.sql<{ n: number }[]>`
        select count(*)::int as n from payments_topups where customer_id = ${u.customerId}`;
      return row?.n ?? 0;
    };
    const before = { accepted: await accepted(), topups: await topups() };
    const topup = (deviceProof: string) =>
      p.app.inject({
        method: 'POST',
        url: '/v1/wallet/topups',
        headers: { ...auth(u.token), ...idem(), 'kinko-device-proof': deviceProof },
        payload: { amount: 1000, card_token: card },
      });
    const good = await proof(p, u.token, u.deviceId, u.device, 'topup');
    const [challenge] = good.split('.');
    const attacks = {
      // Signed by a key that is not the device's.
      forged: deviceKey().prove('topup', challenge!),
      // Another customer's valid proof, replayed on this session.
      foreign: await proof(p, other.token, other.deviceId, other.device, 'topup'),
      // A proof for another action.
      action: await proof(p, u.token, u.deviceId, u.device, 'card_link'),
    };
    for (const [name, attack] of Object.entries(attacks)) {
      const res = await topup(attack);
      assert.equal(res.json().error?.code, 'device_proof_invalid', `${name}: ${res.body}`);
    }
    assert.deepEqual({ accepted: await accepted(), topups: await topups() }, before);
    // The forged signature rolled back: the challenge is still unused, and the device's own
    // signature over it is accepted once, then refused as a replay.
    assert.equal((await topup(good)).json().status, 'succeeded');
    assert.equal((await topup(good)).json().error?.code, 'device_proof_invalid');
    assert.deepEqual(
      { accepted: await accepted(), topups: await topups() },
      { accepted: before.accepted + 1, topups: before.topups + 1 },
    );
    // A challenge for another customer's device is refused, and none is written.
    const [{ n: issued } = { n: -1 }] = await p.db.sql<{ n: number }[]>`
      select count(*)::int as n from identity_device_challenges`;
    const foreign = await p.app.inject({
      method: 'POST',
      url: '/v1/identity/devices/challenge',
      headers: auth(u.token),
      payload: { device_id: other.deviceId, action: 'topup' },
    });
    assert.equal(foreign.json().error?.code, 'device_not_found', foreign.body);
    const [{ n: after } = { n: -1 }] = await p.db.sql<{ n: number }[]>`
      select count(*)::int as n from identity_device_challenges`;
    assert.equal(after, issued);
  } finally {
    await p.close();
  }
});

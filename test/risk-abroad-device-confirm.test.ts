import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { auth, deviceKey } from './helpers/identity-harness.ts';
import { payPlatform, walletUser, type PayPlatform } from './helpers/payments-platform.ts';

// The shipped rule set, as it runs out of the box, with the home-country table loaded (the
// shipped JP seed): right after a security change, a new phone confirmed from a Japanese
// network takes the text-message code, one confirmed from abroad does not (a swapped SIM
// receives that code) and needs the authenticator. Without `source_home` reaching the
// rules, or without the rule, the code from abroad would confirm the phone.

async function addDevice(p: PayPlatform, token: string): Promise<string> {
  const res = await p.app.inject({
    method: 'POST',
    url: '/v1/identity/devices',
    headers: auth(token),
    payload: { name: 'new phone', public_key: deviceKey().publicJwk },
  });
  assert.equal(res.statusCode, 202, res.body);
  return res.json().device_id as string;
}

const confirm = (p: PayPlatform, token: string, id: string, ip: string, payload: object) =>
  p.app.inject({
    method: 'POST',
    url: `/v1/identity/devices/${id}/confirm`,
    headers: auth(token),
    remoteAddress: ip,
    payload,
  });

test('from abroad after a security change, a text code does not confirm a phone', async () => {
  const p = await payPlatform();
  try {
    const seed = readFileSync('src/risk/home-networks-jp-seed.txt', 'utf8');
    await p.modules.risk.loadHomeNetworks(seed, { id: 'test' });
    const u = await walletUser(p, 1);
    const renewed = await p.app.inject({
      method: 'POST',
      url: '/v1/identity/factors/recovery-codes',
      headers: auth(u.token),
      payload: {},
    });
    assert.equal(renewed.statusCode, 200, renewed.body);
    const home = await addDevice(p, u.token);
    const code = { phone_code: await p.lastCode(u.phone) };
    assert.equal((await confirm(p, u.token, home, '126.10.20.30', code)).statusCode, 200);

    const abroad = await addDevice(p, u.token);
    const weak = await confirm(p, u.token, abroad, '8.8.8.8', {
      phone_code: await p.lastCode(u.phone),
    });
    assert.equal(weak.statusCode, 403, weak.body);
    assert.equal(weak.json().error.code, 'device_confirm_factor_required');
    assert.equal(weak.json().error.reason, 'You appear to be connecting from outside Japan.');
    p.clock.advanceMs(30_000);
    const strong = await confirm(p, u.token, abroad, '8.8.8.8', {
      totp_code: u.app.code(p.clock.nowMs()),
    });
    assert.equal(strong.statusCode, 200, strong.body);
    const [row] = await p.db.sql<{ fired: string[] }[]>`
      select rules_fired as fired from risk_decisions
      where kind = 'device_confirm' and subject_id = ${abroad} order by decided_at limit 1`;
    assert.deepEqual(row?.fired, ['abroad_after_change_confirm']);
  } finally {
    await p.close();
  }
});

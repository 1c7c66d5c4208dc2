import { test } from 'node:test';
import assert from 'node:assert/strict';
import { promoteRules } from './helpers/risk-rules.ts';
import { auth, deviceKey, signUp } from './helpers/identity-harness.ts';
import { payPlatform, type PayPlatform } from './helpers/payments-platform.ts';

// `source_accounts_1d` is fed from identity's sign-ins: the accounts whose sessions began on
// the attempt's network (/24) in the last day. Three accounts sign in from one network; a
// new phone confirmed from that network meets a rule on the count, one confirmed from
// another network does not, and a day later the network's count has lapsed. Unfed, the
// signal reads 0 and every phone would be confirmed.

const BUSY = '198.51.100';

async function logIn(p: PayPlatform, who: { email: string; password: string }, ip: string) {
  const res = await p.app.inject({
    method: 'POST',
    url: '/v1/identity/login',
    remoteAddress: ip,
    payload: { identifier: who.email, password: who.password },
  });
  assert.equal(res.statusCode, 200, res.body);
  return res.json().session_token as string;
}

async function confirmNewPhone(p: PayPlatform, token: string, phone: string, ip: string) {
  const added = await p.app.inject({
    method: 'POST',
    url: '/v1/identity/devices',
    headers: auth(token),
    payload: { name: 'new phone', public_key: deviceKey().publicJwk },
  });
  assert.equal(added.statusCode, 202, added.body);
  const id = added.json().device_id as string;
  const res = await p.app.inject({
    method: 'POST',
    url: `/v1/identity/devices/${id}/confirm`,
    headers: auth(token),
    remoteAddress: ip,
    payload: { phone_code: await p.lastCode(phone) },
  });
  const [row] = await p.db.sql<{ n: number }[]>`
    select (signals->>'source_accounts_1d')::int as n from risk_decisions
    where kind = 'device_confirm' and subject_id = ${id}`;
  return { status: res.statusCode, code: res.json().error?.code as string | undefined, row };
}

test('accounts signed in from a network in a day reach the rules', async () => {
  const p = await payPlatform();
  try {
    await promoteRules(p, [
      {
        id: 'busy_network_phone',
        kinds: ['device_confirm'],
        when: { '>=': [{ var: 'source_accounts_1d' }, 3] },
        decision: 'block',
        reason: 'busy_network',
      },
    ]);
    const people = [await signUp(p, 1), await signUp(p, 2), await signUp(p, 3)];
    let token = '';
    for (const [k, who] of people.entries()) token = await logIn(p, who, `${BUSY}.${10 + k}`);
    const last = people[2]!;
    // The same network, another address in it: three accounts, refused.
    const busy = await confirmNewPhone(p, token, last.phone, `${BUSY}.77`);
    assert.equal(busy.status, 403);
    assert.equal(busy.code, 'device_confirm_blocked');
    assert.equal(busy.row?.n, 3);
    // Another network: only what signed in there counts (nothing).
    const quiet = await confirmNewPhone(p, token, last.phone, '203.0.113.5');
    assert.equal(quiet.status, 200);
    assert.equal(quiet.row, undefined, 'a plain allow is tallied, not stored');
    // A day later the network's sign-ins no longer count.
    p.clock.advanceMs(86_400_000 + 60_000);
    const fresh = await logIn(p, last, `${BUSY}.12`);
    const later = await confirmNewPhone(p, fresh, last.phone, `${BUSY}.77`);
    assert.equal(later.status, 200);
  } finally {
    await p.close();
  }
});

import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  fundWallet,
  idem,
  issueCode,
  payPlatform,
  registerPay,
  walletUser,
  type PayPlatform,
} from './helpers/payments-platform.ts';
import { accept, as, invite, nextStep, type Person } from './helpers/merchant-team.ts';

// Roles per merchant, enforced per route (MERCHANT_ACCESS), each role tried on each kind of
// request; invitations and removal; and a register's refund approved by a manager's own
// authenticator code instead of an API key typed into the register.

type Expect = Record<string, boolean>;

// What each role may do, written out so that a change to the access table shows here.
const REQUESTS: Record<string, ['GET' | 'POST', string, object?]> = {
  read_payments: ['GET', '/v1/code_payments'],
  read_stores: ['GET', '/v1/stores'],
  create_store: ['POST', '/v1/stores', { name: 'New', mcc: '5411', city: 'Osaka', postal_code: '530-0001' }],
  create_key: ['POST', '/v1/api_keys', { kind: 'restricted', scopes: ['payments:read'] }],
  read_webhooks: ['GET', '/v1/webhook_endpoints'],
  read_team: ['GET', '/v1/team'],
};
const ALLOWED: Record<string, Expect> = {
  owner: { read_payments: true, read_stores: true, create_store: true, create_key: true, read_webhooks: true, read_team: true },
  admin: { read_payments: true, read_stores: true, create_store: true, create_key: true, read_webhooks: true, read_team: true },
  developer: { read_payments: true, read_stores: true, create_store: false, create_key: true, read_webhooks: true, read_team: false },
  analyst: { read_payments: true, read_stores: true, create_store: false, create_key: false, read_webhooks: true, read_team: false },
  store_manager: { read_payments: true, read_stores: true, create_store: false, create_key: false, read_webhooks: false, read_team: false },
};

async function team(p: PayPlatform) {
  const { link } = await p.modules.merchants.inviteOwner(p.merchant.merchantId, 'owner@yamada.example');
  const owner = await accept(p, link, 'owner@yamada.example');
  const storeId = p.merchant.store!.id;
  const people: Record<string, Person> = { owner };
  for (const role of ['admin', 'developer', 'analyst', 'store_manager']) {
    people[role] = await invite(p, owner, `${role}@yamada.example`, role, role === 'store_manager' ? [storeId] : undefined);
  }
  return people;
}

test('each role may do exactly what the access table says, and every request is audited', async () => {
  const p = await payPlatform();
  try {
    const people = await team(p);
    for (const [role, expect] of Object.entries(ALLOWED)) {
      for (const [name, [method, url, body]] of Object.entries(REQUESTS)) {
        const res = await as(p, people[role]!)(method, url, body, method === 'POST' ? idem() : {});
        const allowed = res.statusCode < 400;
        assert.equal(allowed, expect[name], `${role} ${name}: ${res.statusCode} ${res.body}`);
        if (!allowed) assert.equal(res.json().error.code, 'person_access_denied');
      }
    }
    // A key made in the dashboard is shown once, in the answer, and is the merchant's.
    const made = await as(p, people['developer']!)('POST', '/v1/api_keys', { kind: 'secret' }, idem());
    assert.match(made.json().secret, /^sk_live_/);
    const actors = await p.db.sql`select actor_type, outcome from audit_entries
      where action = 'merchants.person.request' and actor_id = ${people['analyst']!.personId}`;
    assert.ok(actors.some((a) => a['outcome'] === 'denied') && actors.some((a) => a['outcome'] === 'success'));
    const keyEntry = await p.db.sql`select actor_type, actor_id from audit_entries
      where action like 'merchants.api_key.created' order by id desc limit 1`;
    assert.equal(keyEntry[0]?.['actor_id'], people['developer']!.personId);
  } finally {
    await p.close();
  }
});

test('invitations: admins cannot invite admins or the owner; removal ends the sessions', async () => {
  const p = await payPlatform();
  try {
    const people = await team(p);
    const admin = as(p, people['admin']!);
    const peer = await admin('POST', '/v1/team/invitations', { email: 'a2@yamada.example', role: 'admin' });
    assert.equal(peer.json().error.code, 'person_not_manageable');
    const owner2 = await admin('POST', '/v1/team/invitations', { email: 'o2@yamada.example', role: 'owner' });
    assert.equal(owner2.statusCode, 400, 'owner is not a role one invites');
    const noStore = await admin('POST', '/v1/team/invitations', { email: 'm2@yamada.example', role: 'store_manager' });
    assert.equal(noStore.json().error.code, 'store_ids_invalid');
    const taken = await admin('POST', '/v1/team/invitations', { email: 'analyst@yamada.example', role: 'analyst' });
    assert.equal(taken.json().error.code, 'person_exists');
    const removeOwner = await admin('POST', `/v1/team/people/${people['owner']!.personId}/remove`, {});
    assert.equal(removeOwner.json().error.code, 'person_not_manageable');
    // The developer has two sessions; removal ends both at once.
    const dev = people['developer']!;
    const second = await p.app.inject({ method: 'POST', url: '/v1/dashboard/login', payload: { email: dev.email, password: dev.password, totp_code: dev.app.code(p.clock.nowMs()) } });
    assert.equal(second.statusCode, 200);
    nextStep(p);
    const removed = await admin('POST', `/v1/team/people/${dev.personId}/remove`, {});
    assert.deepEqual(removed.json(), { removed: true, sessions_ended: 2 });
    assert.equal((await as(p, dev)('GET', '/v1/stores')).json().error.code, 'person_session_expired');
    const back = await p.app.inject({ method: 'POST', url: '/v1/dashboard/login', payload: { email: dev.email, password: dev.password, totp_code: dev.app.code(p.clock.nowMs()) } });
    assert.equal(back.json().error.code, 'person_credentials_invalid');
    const list = await as(p, people['owner']!)('GET', '/v1/team');
    assert.deepEqual(list.json().people.map((x: { role: string }) => x.role).sort(), ['admin', 'analyst', 'owner', 'store_manager']);
  } finally {
    await p.close();
  }
});

test("a register refunds with a manager's own code; wrong code, other store and role refused", async () => {
  const p = await payPlatform();
  try {
    const people = await team(p);
    const u = await walletUser(p, 1);
    await fundWallet(p, u, 5000);
    const pay = await registerPay(p, await issueCode(p, u), 1200);
    assert.equal(pay.statusCode, 200, pay.body);
    const url = `/v1/terminal/code_payments/${pay.json().id}/refunds`;
    const refund = (who: Person, code: string, amount = 100) =>
      p.app.inject({
        method: 'POST',
        url,
        headers: { authorization: p.merchant.terminalAuth, ...idem() },
        payload: { amount, manager_email: who.email, manager_totp_code: code },
      });
    const manager = people['store_manager']!;
    // The register's own credential with no manager is refused by the schema.
    const bare = await p.app.inject({ method: 'POST', url, headers: { authorization: p.merchant.terminalAuth, ...idem() }, payload: { amount: 100 } });
    assert.equal(bare.statusCode, 400);
    assert.equal((await refund(manager, '000000')).json().error.code, 'manager_approval_invalid');
    assert.equal((await refund(people['analyst']!, people['analyst']!.app.code(p.clock.nowMs()))).json().error.code, 'person_access_denied');
    const ok = await refund(manager, manager.app.code(p.clock.nowMs()));
    assert.equal(ok.statusCode, 200, ok.body);
    assert.equal(ok.json().amount, '100');
    // The same code again is a replay, however quickly it is typed.
    assert.equal((await refund(manager, manager.app.code(p.clock.nowMs()))).json().error.code, 'manager_approval_invalid');
    const entry = await p.db.sql`select actor_type, actor_id from audit_entries
      where action = 'payments.refund.succeeded'`;
    assert.deepEqual([entry[0]?.['actor_type'], entry[0]?.['actor_id']], ['merchant_person', manager.personId]);
    // A manager of another store may not refund this register's payments, here or in the dashboard.
    nextStep(p);
    const other = await as(p, people['owner']!)('POST', '/v1/stores', { name: 'Umeda', mcc: '5411', city: 'Osaka', postal_code: '530-0001' }, idem());
    const elsewhere = await invite(p, people['owner']!, 'umeda@yamada.example', 'store_manager', [other.json().id]);
    assert.equal((await refund(elsewhere, elsewhere.app.code(p.clock.nowMs()))).json().error.code, 'person_store_denied');
    const dash = await as(p, elsewhere)('POST', `/v1/code_payments/${pay.json().id}/refunds`, { amount: 100 }, idem());
    assert.equal(dash.json().error.code, 'person_store_denied');
    const mine = await as(p, manager)('POST', `/v1/code_payments/${pay.json().id}/refunds`, { amount: 100 }, idem());
    assert.equal(mine.statusCode, 200, mine.body);
  } finally {
    await p.close();
  }
});

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { authenticator } from './helpers/identity-factors.ts';
import { auth, harness, signUp, type Harness } from './helpers/identity-harness.ts';

// The operator console's customer work: lookup by id, verified email or phone (exact match
// on the normalised form, every lookup audited, contacts shown masked); freezing needs a
// reason; unfreezing needs a security admin who is not the operator who froze the account,
// a reason, and tells the customer.

const opAuth = (token: string) => ({ authorization: `Bearer ${token}` });

async function operator(h: Harness, n: number, role: 'support' | 'risk_analyst' | 'security_admin') {
  const email = `op${n}@kinko.example`;
  const password = `operator passphrase ${n}`;
  const made = await h.identity.createOperator({ email, name: `Op ${n}`, role, password });
  h.clock.advanceMs(30_000);
  const res = await h.app.inject({
    method: 'POST', url: '/v1/operator/login', remoteAddress: `10.0.${n}.1`,
    payload: { email, password, totp_code: authenticator(made.totpSecret).code(h.clock.nowMs()) },
  });
  assert.equal(res.statusCode, 200, res.body);
  const me = await h.db.sql<{ id: string }[]>`select id from identity_operators where email = ${email}`;
  return { token: res.json().session_token as string, id: me[0]!.id };
}

const lookup = (h: Harness, token: string, query: string) =>
  h.app.inject({ method: 'POST', url: '/v1/operator/customers/lookup', headers: opAuth(token), payload: { query } });

test('operators find a customer by id, email or phone; every lookup is audited', async () => {
  const h = await harness();
  try {
    const c = await signUp(h, 7);
    const support = await operator(h, 1, 'support');
    for (const [query, by] of [
      [c.customerId, 'customer_id'],
      [`  ${c.email.toUpperCase()} `, 'email'],
      [c.phone, 'phone'],
      ['+81 90-1000-0007', 'phone'],
      ['090-1000-0007', 'phone'],
    ] as const) {
      const res = await lookup(h, support.token, query);
      assert.equal(res.statusCode, 200, `${query}: ${res.body}`);
      assert.equal(res.json().matched_by, by);
      assert.equal(res.json().customer.id, c.customerId);
      assert.equal(res.json().customer.email, 'c***@example.com', 'contacts are masked');
      assert.doesNotMatch(res.body, new RegExp(c.email.split('@')[0]!));
    }
    // Exact match only: a prefix, another address or a typo finds nothing.
    for (const query of ['customer7@example.co', 'customer@example.com', '+819010000008']) {
      const res = await lookup(h, support.token, query);
      assert.equal(res.statusCode, 404, query);
      assert.equal(res.json().error.code, 'customer_not_found');
    }
    assert.equal((await lookup(h, support.token, 'customer7')).json().error.code, 'lookup_query_invalid');
    const byId = await h.app.inject({ method: 'GET', url: `/v1/operator/customers/${c.customerId}`, headers: opAuth(support.token) });
    assert.equal(byId.json().id, c.customerId);
    const trail = await h.db.sql<{ subject_id: string | null; outcome: string; detail: { by: string; query: string } }[]>`
      select subject_id, outcome, detail::jsonb as detail from audit_entries
      where action = 'identity.operator.customer_lookup' and actor_id = ${support.id} order by id`;
    assert.equal(trail.length, 5 + 3 + 1, 'every lookup, found or not, is in the trail');
    assert.equal(trail.filter((e) => e.subject_id === c.customerId && e.outcome === 'success').length, 6);
    assert.deepEqual(trail[5]!.detail, { by: 'email', query: 'c***@example.co' });
    assert.ok(!JSON.stringify(trail).includes(c.email), 'the trail keeps no clear address');
    // A customer's session is no operator session.
    const asCustomer = await h.app.inject({ method: 'POST', url: '/v1/operator/customers/lookup', headers: auth(c.token), payload: { query: c.email } });
    assert.equal(asCustomer.statusCode, 401);
  } finally {
    await h.close();
  }
});

test('freeze needs a reason; unfreeze needs another security admin, a reason, and tells the customer', async () => {
  const h = await harness();
  try {
    const c = await signUp(h, 8);
    const risk = await operator(h, 1, 'risk_analyst');
    const adminA = await operator(h, 2, 'security_admin');
    const adminB = await operator(h, 3, 'security_admin');
    const post = (token: string, path: string, payload: object) =>
      h.app.inject({ method: 'POST', url: `/v1/operator/customers/${c.customerId}/${path}`, headers: opAuth(token), payload });
    const status = async () => (await h.db.sql<{ status: string }[]>`select status from identity_customers where id = ${c.customerId}`)[0]!.status;

    assert.equal((await post(risk.token, 'freeze', {})).json().error.code, 'parameter_missing');
    assert.equal((await post(risk.token, 'freeze', { reason: 'x' })).statusCode, 400, 'a reason says something');
    assert.equal((await post(risk.token, 'freeze', { reason: 'card 4242 4242 4242 4242' })).json().error.code, 'card_data_not_allowed');
    assert.equal(await status(), 'active', 'a refused freeze changes nothing');
    const frozen = await post(adminA.token, 'freeze', { reason: 'Takeover reported by phone' });
    assert.equal(frozen.statusCode, 200, frozen.body);
    assert.equal(await status(), 'frozen');
    assert.equal((await post(risk.token, 'freeze', { reason: 'again please' })).json().error.code, 'account_already_frozen');
    const view = (await lookup(h, risk.token, c.email)).json().customer;
    assert.equal(view.frozen_by, adminA.id);
    assert.equal(view.frozen_reason, 'Takeover reported by phone');

    // A risk analyst may freeze but not unfreeze; the admin who froze cannot unfreeze alone.
    assert.equal((await post(risk.token, 'unfreeze', { reason: 'Customer verified' })).json().error.code, 'operator_access_denied');
    const same = await post(adminA.token, 'unfreeze', { reason: 'Customer verified' });
    assert.equal(same.statusCode, 403);
    assert.equal(same.json().error.code, 'unfreeze_needs_second_operator');
    assert.equal(await status(), 'frozen');
    assert.equal((await post(adminB.token, 'unfreeze', {})).json().error.code, 'parameter_missing');
    const ok = await post(adminB.token, 'unfreeze', { reason: 'Customer verified at the counter' });
    assert.equal(ok.statusCode, 200, ok.body);
    assert.equal(await status(), 'active');
    assert.equal((await post(adminB.token, 'unfreeze', { reason: 'twice over' })).json().error.code, 'account_not_frozen');
    const cleared = (await lookup(h, risk.token, c.phone)).json().customer;
    assert.equal(cleared.frozen_by, null);
    assert.equal(cleared.frozen_reason, null);

    const trail = await h.db.sql<{ action: string; actor_id: string; outcome: string; detail: Record<string, unknown> }[]>`
      select action, actor_id, outcome, detail::jsonb as detail from audit_entries
      where subject_id = ${c.customerId} and action like 'identity.account.%' order by id`;
    assert.deepEqual(trail.map((e) => [e.action, e.actor_id, e.outcome]), [
      ['identity.account.frozen', adminA.id, 'success'],
      ['identity.account.unfrozen', adminA.id, 'denied'],
      ['identity.account.unfrozen', adminB.id, 'success'],
    ]);
    assert.equal(trail[0]!.detail['reason'], 'Takeover reported by phone');
    assert.equal(trail[2]!.detail['reason'], 'Customer verified at the counter');
    assert.equal(trail[2]!.detail['frozen_by'], adminA.id);
    // The customer hears of both, on every contact.
    for (const address of [c.email, c.phone]) {
      const subjects = (await h.mailbox(address)).map((m) => m.subject).join('\n');
      assert.match(subjects, /凍結/);
      assert.match(subjects, /解除/);
    }
  } finally {
    await h.close();
  }
});

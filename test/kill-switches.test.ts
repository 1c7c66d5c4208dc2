import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { CardNetwork } from '../src/acquirer/index.ts';
import { switchesCommand } from '../src/switches/index.ts';
import { auth, signUp, type Harness } from './helpers/identity-harness.ts';
import { signedInOperator, type SignedInOperator } from './helpers/operators.ts';
import {
  balanceOf,
  fundWallet,
  hostedCardToken,
  idem,
  issueCode,
  payPlatform,
  registerPay,
  walletPost,
  walletUser,
  type PayPlatform,
} from './helpers/payments-platform.ts';

// Kill switches: a security admin suspends a service with a reason; requests it covers are
// refused with 503 service_suspended naming what is suspended; lifting takes two operators;
// every change is audited and told to the other security admins. A request already past its
// check finishes, and a refused request's Idempotency-Key runs again once lifted.

const opAuth = (token: string) => ({ authorization: `Bearer ${token}` });
type Op = SignedInOperator;

function turnOn(h: Harness, op: Op, payload: object) {
  return h.app.inject({
    method: 'POST',
    url: '/v1/operator/switches',
    headers: opAuth(op.token),
    payload,
  });
}

async function on(h: Harness, op: Op, payload: object): Promise<string> {
  const res = await turnOn(h, op, { reason: 'takeover wave', ...payload });
  assert.equal(res.statusCode, 201, res.body);
  return res.json().id as string;
}

async function lift(h: Harness, id: string, asker: Op, approver: Op): Promise<void> {
  const asked = await h.app.inject({
    method: 'POST',
    url: `/v1/operator/switches/${id}/lift_request`,
    headers: opAuth(asker.token),
    payload: { reason: 'wave contained' },
  });
  assert.equal(asked.statusCode, 200, asked.body);
  const approved = await h.app.inject({
    method: 'POST',
    url: `/v1/operator/switches/${id}/lift_approval`,
    headers: opAuth(approver.token),
    payload: {},
  });
  assert.equal(approved.statusCode, 200, approved.body);
}

function assertSuspended(
  res: { statusCode: number; body: string },
  suspended: string,
  words: RegExp,
): void {
  assert.equal(res.statusCode, 503, res.body);
  const error = (JSON.parse(res.body) as { error: Record<string, unknown> }).error;
  assert.equal(error['code'], 'service_suspended');
  assert.equal(error['suspended'], suspended);
  assert.match(String(error['message']), words);
}

test('turning on and lifting takes a security admin, then a second one; all audited', async () => {
  const p = await payPlatform();
  try {
    const support = await signedInOperator(p, 1, 'support');
    const a = await signedInOperator(p, 2, 'security_admin');
    const b = await signedInOperator(p, 3, 'security_admin');
    const body = { operation: 'topups', scope: { type: 'card_brand', value: 'VISA' } };
    const denied = await turnOn(p, support, { ...body, reason: 'no' });
    assert.equal(denied.statusCode, 403, denied.body);
    const bad = await turnOn(p, a, {
      operation: 'sign_up',
      scope: { type: 'card_brand', value: 'visa' },
      reason: 'wrong scope',
    });
    assert.equal(bad.json().error.code, 'switch_scope_invalid', bad.body);
    const incident = await p.db.sql.begin((tx) =>
      p.modules.incidents.open(tx, {
        kind: 'payments.topup_fraud',
        severity: 'high',
        summary: 'Top-ups with stolen Visa cards',
      }),
    );
    const unknown = await turnOn(p, a, { ...body, reason: 'x'.repeat(5), incident_id: 'inc_nope' });
    assert.equal(unknown.json().error.code, 'incident_not_found', 'nothing is turned on');
    const first = await turnOn(p, a, {
      ...body,
      reason: 'stolen Visa cards',
      incident_id: incident,
    });
    assert.equal(first.statusCode, 201, first.body);
    const s = first.json();
    assert.deepEqual(
      [s.status, s.scope, s.incident_id],
      ['on', { type: 'card_brand', value: 'visa' }, incident],
    );
    assert.equal(s.names[a.id], a.email, 'the console shows who, by name');
    const twice = await turnOn(p, b, { ...body, reason: 'again' });
    assert.equal(twice.json().error.code, 'switch_already_on');

    const url = (step: string) => `/v1/operator/switches/${s.id}/${step}`;
    const early = await p.app.inject({
      method: 'POST',
      url: url('lift_approval'),
      headers: opAuth(b.token),
      payload: {},
    });
    assert.equal(early.json().error.code, 'switch_lift_not_requested');
    const asked = await p.app.inject({
      method: 'POST',
      url: url('lift_request'),
      headers: opAuth(a.token),
      payload: { reason: 'cards reissued' },
    });
    assert.equal(asked.json().status, 'lift_requested', asked.body);
    const self = await p.app.inject({
      method: 'POST',
      url: url('lift_approval'),
      headers: opAuth(a.token),
      payload: {},
    });
    assert.equal(self.statusCode, 403);
    assert.equal(self.json().error.code, 'switch_lift_needs_second_operator');
    const lifted = await p.app.inject({
      method: 'POST',
      url: url('lift_approval'),
      headers: opAuth(b.token),
      payload: {},
    });
    assert.equal(lifted.json().status, 'lifted', lifted.body);
    const again = await p.app.inject({
      method: 'POST',
      url: url('lift_approval'),
      headers: opAuth(b.token),
      payload: {},
    });
    assert.equal(again.json().error.code, 'switch_lifted');

    const list = await p.app.inject({
      method: 'GET',
      url: '/v1/operator/switches',
      headers: opAuth(support.token),
    });
    assert.deepEqual(list.json().on, []);
    assert.equal(list.json().lifted[0].id, s.id);
    const trail = await p.db.sql<{ action: string; actor_id: string }[]>`
      select action, actor_id from audit_entries where subject_id = ${s.id} order by id`;
    assert.deepEqual(
      trail.map((e) => [e.action, e.actor_id]),
      [
        ['switches.switch.turned_on', a.id],
        ['switches.switch.lift_requested', a.id],
        ['switches.switch.lifted', b.id],
      ],
    );
    // Each change appears on the incident it was taken for.
    const timeline = await p.db.sql<{ kind: string; actor_id: string; summary: string }[]>`
      select kind, actor_id, detail ->> 'summary' as summary from incidents_events
      where incident_id = ${incident} and kind like 'switch.%' order by seq`;
    assert.deepEqual(
      timeline.map((e) => [e.kind, e.actor_id]),
      [
        ['switch.turned_on', a.id],
        ['switch.lift_requested', a.id],
        ['switch.lifted', b.id],
      ],
    );
    assert.match(timeline[0]!.summary, /^Kill switch topups \(card_brand visa\) turned on: stolen/);
    // The other security admin is told of each change by email (through the outbox).
    const told = (await p.mailbox(b.email)).map((m) => m.subject);
    assert.equal(told.length, 2, told.join('\n'));
    assert.ok(told.some((t) => /turned on/.test(t)) && told.some((t) => /lift requested/.test(t)));
    // Nobody can rewrite or delete the record, not even the serving role through SQL.
    await assert.rejects(p.db.sql`delete from switches_switches where id = ${s.id}`);
    await assert.rejects(p.db.sql`update switches_switches set reason = 'x' where id = ${s.id}`);
  } finally {
    await p.close();
  }
});

test('identity paths: sign-up, sign-in, recovery and new devices are refused by name', async () => {
  const p = await payPlatform();
  try {
    const a = await signedInOperator(p, 2, 'security_admin');
    const b = await signedInOperator(p, 3, 'security_admin');
    const c = await signUp(p, 1);
    const ids = [
      await on(p, a, { operation: 'sign_up' }),
      await on(p, a, { operation: 'login', scope: { type: 'source', value: '203.0.113.0/24' } }),
      await on(p, a, { operation: 'recovery' }),
      await on(p, a, {
        operation: 'new_devices',
        scope: { type: 'customer', value: c.customerId },
      }),
    ];
    const signup = await p.app.inject({
      method: 'POST',
      url: '/v1/identity/signup',
      payload: {
        email: 'new@example.com',
        phone: '+819099990000',
        password: 'correct horse battery 9',
      },
    });
    assertSuspended(signup, 'sign_up', /^Sign-up is suspended/);
    const login = (ip: string) =>
      p.app.inject({
        method: 'POST',
        url: '/v1/identity/login',
        remoteAddress: ip,
        payload: { identifier: c.email, password: c.password },
      });
    assertSuspended(await login('203.0.113.77'), 'login', /Sign-in from this network is suspended/);
    assert.equal((await login('198.51.100.7')).statusCode, 200, 'another network signs in');
    const recovery = await p.app.inject({
      method: 'POST',
      url: '/v1/identity/recovery',
      payload: { identifier: c.email },
    });
    assertSuspended(recovery, 'recovery', /recovery is suspended/);
    const device = await p.app.inject({
      method: 'POST',
      url: '/v1/identity/devices',
      headers: auth(c.token),
      payload: { name: 'tablet', public_key: c.device.publicJwk },
    });
    assertSuspended(device, 'new_devices', /device for this account is suspended/);
    for (const id of ids) await lift(p, id, a, b);
    const after = await p.app.inject({
      method: 'POST',
      url: '/v1/identity/recovery',
      payload: { identifier: c.email },
    });
    assert.notEqual(after.statusCode, 503, after.body);
  } finally {
    await p.close();
  }
});

test('money paths: card linking, top-ups, codes, store QR, refunds and web payments', async () => {
  const p = await payPlatform();
  try {
    const a = await signedInOperator(p, 2, 'security_admin');
    const b = await signedInOperator(p, 3, 'security_admin');
    const u = await walletUser(p, 1);
    const { token } = await fundWallet(p, u, 10_000);
    const paid = await registerPay(p, await issueCode(p, u), 1000);
    assert.equal(paid.statusCode, 200, paid.body);
    const sk = { authorization: `Bearer ${p.merchant.secretKey}` };
    const merchantId = p.merchant.merchantId;
    const qr = await p.app.inject({
      method: 'GET',
      url: `/v1/stores/${p.merchant.store!.id}/qr`,
      headers: sk,
    });
    assert.equal(qr.statusCode, 200, qr.body);

    const ids = [
      // By issuer range: the Visa test card (424242) is inside it.
      await on(p, a, { operation: 'topups', scope: { type: 'bin_range', value: '424200-424299' } }),
      await on(p, a, { operation: 'card_linking' }),
      await on(p, a, {
        operation: 'code_payments',
        scope: { type: 'store', value: p.merchant.store!.id },
      }),
      await on(p, a, { operation: 'refunds' }),
      await on(p, a, { operation: 'everything', scope: { type: 'merchant', value: merchantId } }),
    ];
    const key = idem();
    const topup = () =>
      walletPost(p, u, '/v1/wallet/topups', 'topup', { amount: 500, card_token: token }, key);
    assertSuspended(await topup(), 'topups', /^Top-ups with cards of this issuer range are/);
    const mc = await hostedCardToken(p, '5555555555554444');
    const link = await walletPost(p, u, '/v1/wallet/cards', 'card_link', { card_token: mc });
    assertSuspended(link, 'card_linking', /^Linking a card is suspended/);
    // The wallet still gets a code (no switch covers issuing it); the register is refused.
    const code = await issueCode(p, u);
    assertSuspended(await registerPay(p, code, 300), 'code_payments', /at this store/);
    const store = await walletPost(p, u, '/v1/wallet/store_payments', 'payment_code', {
      payload: qr.json().payload,
      amount: 300,
    });
    assertSuspended(store, 'everything', /^Every service for this merchant is suspended/);
    const refund = await p.app.inject({
      method: 'POST',
      url: `/v1/code_payments/${paid.json().id}/refunds`,
      headers: { ...sk, ...idem() },
      payload: { amount: 100 },
    });
    assertSuspended(refund, 'refunds', /^Refunds are suspended/);
    const web = await p.app.inject({
      method: 'POST',
      url: '/v1/payments',
      headers: { ...sk, ...idem() },
      payload: { amount: 1200, currency: 'jpy' },
    });
    assertSuspended(web, 'everything', /for this merchant/);
    assert.equal(await balanceOf(p, u), '9000', 'nothing moved');

    for (const id of ids) await lift(p, id, a, b);
    // The refused request's key was given up, not stored: the same key now runs.
    const retried = await topup();
    assert.equal(retried.json().status, 'succeeded', retried.body);
    assert.equal(retried.headers['idempotent-replayed'], undefined);
    assert.equal((await registerPay(p, code, 300)).statusCode, 200);
    assert.equal(await balanceOf(p, u), '9200');
  } finally {
    await p.close();
  }
});

test('a top-up already charging when top-ups are suspended finishes; the next is refused', async () => {
  const p = await payPlatform({ env: { KINKO_ACQUIRER_CALL_TIMEOUT_MS: '10000' } });
  try {
    const a = await signedInOperator(p, 2, 'security_admin');
    const u = await walletUser(p, 1);
    const { token } = await fundWallet(p, u, 1000);
    // The card network holds the next authorization until the switch is on.
    const network = p.simulator as { authorize: CardNetwork['authorize'] };
    const authorize = network.authorize.bind(p.simulator);
    let charging!: () => void;
    const atNetwork = new Promise<void>((r) => (charging = r));
    let release!: () => void;
    const released = new Promise<void>((r) => (release = r));
    network.authorize = async (call, request) => {
      charging();
      await released;
      return authorize(call, request);
    };
    const pending = walletPost(p, u, '/v1/wallet/topups', 'topup', {
      amount: 700,
      card_token: token,
    });
    await atNetwork;
    await on(p, a, { operation: 'topups' });
    release();
    const finished = await pending;
    assert.equal(finished.json().status, 'succeeded', 'the charge in flight completes');
    assert.equal(await balanceOf(p, u), '1700', 'and is credited: nothing half-done');
    network.authorize = authorize;
    const next = await walletPost(p, u, '/v1/wallet/topups', 'topup', {
      amount: 700,
      card_token: token,
    });
    assertSuspended(next, 'topups', /^Top-ups are suspended/);
    assert.equal(await balanceOf(p, u), '1700');
  } finally {
    await p.close();
  }
});

test('paused webhook deliveries are kept and go out once webhooks are lifted', async () => {
  const p = await payPlatform();
  try {
    const a = await signedInOperator(p, 2, 'security_admin');
    const b = await signedInOperator(p, 3, 'security_admin');
    const merchantId = p.merchant.merchantId;
    const id = await on(p, a, {
      operation: 'webhooks_out',
      scope: { type: 'merchant', value: merchantId },
    });
    const endpoint = await p.modules.webhooks.createEndpoint(
      merchantId,
      { url: 'http://127.0.0.1:9/hook', eventTypes: ['*'] },
      { type: 'cli' },
    );
    const u = await walletUser(p, 1);
    await fundWallet(p, u, 1000);
    assert.equal((await registerPay(p, await issueCode(p, u), 100)).statusCode, 200);
    await p.jobs.drainOutbox();
    const deliveries = () =>
      p.db.sql<{ status: string; attempts: number }[]>`
        select status, attempts from webhooks_deliveries where endpoint_id = ${endpoint.endpoint.id}`;
    const paused = await deliveries();
    assert.ok(paused.length > 0, 'the deliveries exist');
    assert.ok(
      paused.every((d) => d.status === 'pending' && d.attempts === 0),
      'none tried',
    );
    await lift(p, id, a, b);
    await p.modules.webhooks.runOnce();
    const after = await deliveries();
    assert.ok(
      after.every((d) => d.attempts === 1),
      'each tried once the switch is lifted',
    );
  } finally {
    await p.close();
  }
});

test('kinko switches: on, list, and off takes a second person', async () => {
  const p = await payPlatform();
  try {
    const b = await signedInOperator(p, 3, 'security_admin');
    const lines: string[] = [];
    const io = { out: (l: string) => lines.push(l), err: (l: string) => lines.push(`err ${l}`) };
    const run = (...args: string[]) => switchesCommand(p.modules.switches, args, io);
    const on = ['on', '--operation', 'refunds', '--reason', 'refund fraud'];
    assert.equal(await run(...on), 0, lines.join('\n'));
    const id = /switch (sw_\S+) is on/.exec(lines.join('\n'))?.[1];
    assert.ok(id, lines.join('\n'));
    assert.equal(await run('list'), 0);
    assert.match(lines.join('\n'), new RegExp(`${id}  refunds  all  since .*refund fraud`));
    assert.equal(await run('on', '--operation', 'nothing', '--reason', 'x'), 2, 'usage');
    // The usage alone gave no way to learn the operations: they are listed, all of them.
    const told = lines.join('\n');
    assert.match(told, /err kinko: unknown operation "nothing"; valid: sign_up, login, .*refunds/);
    assert.match(told, /err operations: sign_up, login, /);
    assert.match(told, /err scopes: all, card_brand, /);
    assert.equal(
      await run('on', '--operation', 'refunds', '--scope', 'planet', '--reason', 'x'),
      2,
    );
    assert.match(lines.join('\n'), /err kinko: unknown scope "planet"; valid: all, card_brand, /);
    assert.equal(await run('off', id!, '--reason', 'fraud stopped'), 0);
    assert.equal(await run('off', id!), 1, 'the same person cannot approve');
    assert.match(lines.at(-1)!, /switch_lift_needs_second_operator/);
    const approved = await p.app.inject({
      method: 'POST',
      url: `/v1/operator/switches/${id}/lift_approval`,
      headers: opAuth(b.token),
      payload: {},
    });
    assert.equal(approved.json().status, 'lifted', approved.body);
  } finally {
    await p.close();
  }
});

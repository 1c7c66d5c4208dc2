import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { harness } from './helpers/identity-harness.ts';
import { signedInOperator } from './helpers/operators.ts';
import * as seed from './helpers/scope-seed.ts';

// Notices to the customers of an incident's scope: each gets one email and one SMS in
// Japanese and English with a working "this was not me" link. Sending again notifies nobody
// twice; after the scope grows, only the customer it added is told.

const T = (hhmm: string) => new Date(`2026-04-01T${hhmm}:00Z`);

/** The customers' part of a send's answer. */
function told(res: { json(): unknown }) {
  const j = res.json() as Record<string, number>;
  return {
    customers: j['customers'],
    email: j['email'],
    sms: j['sms'],
    already_notified: j['already_notified'],
  };
}

test('notices reach each customer in scope once per channel, however often sent', async () => {
  const h = await harness();
  try {
    const sql = h.db.owner;
    const [a, b, c] = [
      await seed.customer(sql, T('08:00')),
      await seed.customer(sql, T('08:00')),
      await seed.customer(sql, T('08:00')),
    ];
    await seed.signIn(sql, {
      customerId: a,
      deviceId: randomUUID(),
      ip: '203.0.113.7',
      at: T('10:05'),
    });
    await seed.signIn(sql, {
      customerId: b,
      deviceId: randomUUID(),
      ip: '203.0.113.9',
      at: T('10:10'),
    });
    await seed.signIn(sql, {
      customerId: c,
      deviceId: randomUUID(),
      ip: '198.51.100.4',
      at: T('10:20'),
    });
    const contacts = await sql<{ id: string; email: string; phone: string }[]>`
      select id::text, email, phone from identity_customers where id in (${a}, ${b}, ${c})`;
    const contactOf = (id: string) => contacts.find((x) => x.id === id)!;

    const analyst = await signedInOperator(h, 1, 'risk_analyst');
    const support = await signedInOperator(h, 2, 'support');
    const call = (
      headers: Record<string, string>,
      method: 'GET' | 'POST',
      url: string,
      payload?: object,
    ) => h.app.inject(payload ? { method, url, headers, payload } : { method, url, headers });
    const opened = await call(analyst.headers, 'POST', '/v1/operator/incidents', {
      title: 'Takeover wave',
      severity: 'critical',
      summary: 'Sign-ins from one network',
    });
    const inc = `/v1/operator/incidents/${opened.json().id}`;
    const contact = { contact: 'Kinko 専用窓口 0120-000-000 (9:00–21:00)' };

    const early = await call(analyst.headers, 'POST', `${inc}/notices`, contact);
    assert.equal(early.json().error.code, 'scope_not_found');
    const window = { from: '2026-04-01T10:00:00Z', to: '2026-04-01T12:00:00Z' };
    const run1 = await call(analyst.headers, 'POST', `${inc}/scopes`, {
      ...window,
      ip_ranges: ['203.0.113.0/24'],
    });
    assert.equal(run1.statusCode, 201, run1.body);
    assert.equal((await call(support.headers, 'POST', `${inc}/notices`, contact)).statusCode, 403);

    const first = await call(analyst.headers, 'POST', `${inc}/notices`, contact);
    assert.equal(first.statusCode, 201, first.body);
    assert.deepEqual(told(first), { customers: 2, email: 2, sms: 2, already_notified: 0 });
    const again = await call(analyst.headers, 'POST', `${inc}/notices`, contact);
    assert.deepEqual(told(again), { customers: 0, email: 0, sms: 0, already_notified: 2 });
    const mailA = await h.mailbox(contactOf(a).email);
    assert.equal(mailA.length, 1, 'one email to a, however often notices are sent');
    assert.match(mailA[0]!.text, /第三者による不正なログイン/);
    assert.match(mailA[0]!.text, /Someone else may have signed in/);
    assert.match(mailA[0]!.text, /0120-000-000/);
    const link = /freeze my account: (\S+)/.exec(mailA[0]!.text)![1]!;
    assert.match(link, /\/account\/freeze#token=/);
    assert.equal((await h.mailbox(contactOf(a).phone)).length, 1);
    assert.equal((await h.mailbox(contactOf(c).email)).length, 0, 'c is not in scope');

    // The scope grows to c's network: only c is told now.
    await call(analyst.headers, 'POST', `${inc}/scopes`, {
      ...window,
      ip_ranges: ['203.0.113.0/24', '198.51.100.0/24'],
    });
    const grown = await call(analyst.headers, 'POST', `${inc}/notices`, contact);
    assert.deepEqual(told(grown), { customers: 1, email: 1, sms: 1, already_notified: 2 });
    assert.equal((await h.mailbox(contactOf(a).email)).length, 1);
    assert.equal((await h.mailbox(contactOf(c).email)).length, 1);
    assert.equal((await h.mailbox(contactOf(c).phone)).length, 1);

    // The link works: the customer freezes their own account from the notice.
    const token = new URL(link).hash.slice('#token='.length);
    const frozen = await h.app.inject({
      method: 'POST',
      url: '/v1/identity/freeze',
      payload: { token },
    });
    assert.ok(frozen.statusCode < 300, frozen.body);

    const counts = await call(support.headers, 'GET', `${inc}/notices`);
    const k = counts.json();
    assert.deepEqual([k.email, k.sms], [3, 3]);
    // Every message went to the dev mailbox, which is delivery.
    assert.deepEqual(k.customers.email, { queued: 0, sent: 0, delivered: 3, failed: 0 });
    const view = (await call(support.headers, 'GET', inc)).json();
    const notices = view.timeline.filter((e: { kind: string }) => e.kind === 'notice.sent');
    assert.equal(notices.length, 3);
    assert.equal(notices[0].detail.detail.email, 2);
    const audited = await sql`select 1 from audit_entries
      where action = 'incidents.customers_notified' and subject_id = ${opened.json().id}`;
    assert.equal(audited.length, 3);
  } finally {
    await h.close();
  }
});

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { ORIGIN, withMailbox } from './helpers/identity-harness.ts';
import { testPlatform } from './helpers/platform.ts';
import { signedInOperator } from './helpers/operators.ts';
import { startSmtpReceiver } from './helpers/smtp-receiver.ts';
import * as seed from './helpers/scope-seed.ts';

// Each notice carries its delivery state from the notify worker's results: queued on the
// outbox, sent while attempts are made (a failed one is counted, with its error), then
// delivered or failed when the outbox gives up. An operator queues failed notices again; a
// delivered one is never sent twice, whoever asks and however.

const T = (hhmm: string) => new Date(`2026-04-01T${hhmm}:00Z`);

interface Notice {
  ref: string;
  recipient_id: string;
  channel: string;
  state: string;
  attempts: number;
  retries: number;
  last_error: string | null;
}

test('notice delivery: queued → sent → failed, retried → delivered, never re-sent', async () => {
  const smtp = await startSmtpReceiver();
  const h = withMailbox(
    await testPlatform({
      publicOrigin: ORIGIN,
      env: { SMTP_URL: smtp.url },
      limits: { outboxAttemptsMax: 5 },
    }),
  );
  try {
    const sql = h.db.owner;
    const [a, b] = [await seed.customer(sql, T('08:00')), await seed.customer(sql, T('08:00'))];
    for (const [id, ip] of [
      [a, '203.0.113.7'],
      [b, '203.0.113.9'],
    ] as const) {
      await seed.signIn(sql, { customerId: id, deviceId: randomUUID(), ip, at: T('10:05') });
    }
    const [bRow] = await sql<{ email: string }[]>`
      select email from identity_customers where id = ${b}`;
    const bEmail = bRow!.email.toLowerCase();
    smtp.defer.add(bEmail);

    const analyst = await signedInOperator(h, 1, 'risk_analyst');
    const support = await signedInOperator(h, 2, 'support');
    const call = (
      who: { headers: Record<string, string> },
      method: 'GET' | 'POST',
      url: string,
      payload?: object,
    ) =>
      h.app.inject(
        payload
          ? { method, url, headers: who.headers, payload }
          : { method, url, headers: who.headers },
      );
    const opened = await call(analyst, 'POST', '/v1/operator/incidents', {
      title: 'Takeover wave',
      severity: 'high',
      summary: 'Sign-ins from one network',
    });
    const inc = `/v1/operator/incidents/${opened.json().id}`;
    await call(analyst, 'POST', `${inc}/scopes`, {
      from: '2026-04-01T10:00:00Z',
      to: '2026-04-01T12:00:00Z',
      ip_ranges: ['203.0.113.0/24'],
    });
    const sent = await call(analyst, 'POST', `${inc}/notices`, { contact: '0120-000-000' });
    assert.equal(sent.statusCode, 201, sent.body);
    const list = async () => {
      const res = await call(support, 'GET', `${inc}/notices/list`);
      assert.equal(res.statusCode, 200, res.body);
      return res.json().data as Notice[];
    };
    const of = (rows: Notice[], id: string, channel: string) =>
      rows.find((n) => n.recipient_id === id && n.channel === channel)!;
    assert.deepEqual(
      (await list()).map((n) => n.state),
      ['queued', 'queued', 'queued', 'queued'],
    );

    await h.jobs.deliverNotices();
    let rows = await list();
    assert.equal(of(rows, a, 'email').state, 'delivered', 'the SMTP server took it');
    assert.equal(of(rows, a, 'sms').state, 'delivered', 'the dev mailbox took it');
    const bMail = of(rows, b, 'email');
    assert.deepEqual([bMail.state, bMail.attempts], ['sent', 1], 'one attempt failed, retrying');
    assert.match(bMail.last_error ?? '', /451/);

    // Not failed yet: an operator cannot queue it a second time beside the outbox's retry.
    const early = await call(analyst, 'POST', `${inc}/notices/retry`, { refs: [bMail.ref] });
    assert.deepEqual(early.json(), {
      retried: 0,
      results: [{ ref: bMail.ref, result: 'not_failed' }],
    });

    // Now refused for good: a 5xx is final at once.
    smtp.defer.delete(bEmail);
    smtp.refuse.add(bEmail);
    h.clock.advanceMs(20_000);
    await h.jobs.deliverNotices();
    rows = await list();
    assert.deepEqual([of(rows, b, 'email').state, of(rows, b, 'email').attempts], ['failed', 2]);
    const counts = (await call(support, 'GET', `${inc}/notices`)).json();
    assert.deepEqual(counts.customers.email, { queued: 0, sent: 0, delivered: 1, failed: 1 });
    assert.deepEqual(counts.customers.sms, { queued: 0, sent: 0, delivered: 2, failed: 0 });

    assert.equal((await call(support, 'POST', `${inc}/notices/retry`, {})).statusCode, 403);
    smtp.refuse.delete(bEmail);
    const retried = await call(analyst, 'POST', `${inc}/notices/retry`, {});
    assert.equal(retried.statusCode, 200, retried.body);
    assert.equal(retried.json().retried, 1);
    rows = await list();
    assert.deepEqual([of(rows, b, 'email').state, of(rows, b, 'email').retries], ['queued', 1]);
    await h.jobs.deliverNotices();
    rows = await list();
    assert.equal(of(rows, b, 'email').state, 'delivered');
    const toB = () => smtp.accepted.filter((r) => r.includes(bEmail)).length;
    assert.equal(toB(), 1);

    // Delivered notices are never sent again: not by a retry naming them, nor by SQL.
    const aMail = of(rows, a, 'email');
    const again = await call(analyst, 'POST', `${inc}/notices/retry`, {
      refs: [aMail.ref, bMail.ref, 'ntc_AAAAAAAAAAAAAAAAAAAA'],
    });
    assert.deepEqual(again.json(), {
      retried: 0,
      results: [
        { ref: aMail.ref, result: 'delivered' },
        { ref: bMail.ref, result: 'delivered' },
        { ref: 'ntc_AAAAAAAAAAAAAAAAAAAA', result: 'not_found' },
      ],
    });
    await h.jobs.deliverNotices();
    assert.equal(toB(), 1, 'b was emailed once after the retry, never again');
    assert.equal(smtp.accepted.length, 2);
    await assert.rejects(
      h.db.sql`update incidents_notices set state = 'queued' where ref = ${aMail.ref}`,
      /was delivered/,
    );
    const view = (await call(support, 'GET', inc)).json();
    const kinds = view.timeline.map((e: { kind: string }) => e.kind);
    assert.equal(kinds.filter((k: string) => k === 'notice.retried').length, 1);
  } finally {
    await h.close();
    await smtp.close();
  }
});

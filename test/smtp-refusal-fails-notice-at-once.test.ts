import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { ORIGIN, withMailbox } from './helpers/identity-harness.ts';
import { testPlatform } from './helpers/platform.ts';
import { signedInOperator } from './helpers/operators.ts';
import { startSmtpReceiver } from './helpers/smtp-receiver.ts';
import * as seed from './helpers/scope-seed.ts';

// A mail server's 5xx to a message ("no such mailbox") is its final answer: the notice is
// failed at once with the reply's code, and the address is never asked for again. A 4xx
// ("try later") or a connection that is refused is retried with backoff until it goes
// through. The recorded error carries the reply's codes, never its text or the address.

const T = (hhmm: string) => new Date(`2026-04-01T${hhmm}:00Z`);

interface Notice {
  recipient_id: string;
  channel: string;
  state: string;
  attempts: number;
  last_error: string | null;
}

test('SMTP: a 5xx fails the notice at once; a 4xx and a refused connection are retried', async () => {
  const smtp = await startSmtpReceiver();
  const h = withMailbox(
    await testPlatform({
      publicOrigin: ORIGIN,
      env: { SMTP_URL: smtp.url },
      limits: { outboxAttemptsMax: 6 },
    }),
  );
  try {
    const sql = h.db.owner;
    const ids: string[] = [];
    for (const ip of ['203.0.113.7', '203.0.113.8', '203.0.113.9']) {
      const id = await seed.customer(sql, T('08:00'));
      await seed.signIn(sql, { customerId: id, deviceId: randomUUID(), ip, at: T('10:05') });
      ids.push(id);
    }
    const [refused, deferred, fine] = ids as [string, string, string];
    const emailOf = async (id: string) =>
      (
        await sql<{ email: string }[]>`select email from identity_customers where id = ${id}`
      )[0]!.email.toLowerCase();
    const [refusedEmail, deferredEmail] = [await emailOf(refused), await emailOf(deferred)];
    smtp.refuse.add(refusedEmail);
    smtp.defer.add(deferredEmail);

    const analyst = await signedInOperator(h, 1, 'risk_analyst');
    const as = (method: 'GET' | 'POST', url: string, payload?: object) =>
      h.app.inject(
        payload
          ? { method, url, headers: analyst.headers, payload }
          : { method, url, headers: analyst.headers },
      );
    const opened = await as('POST', '/v1/operator/incidents', {
      title: 'Takeover wave',
      severity: 'high',
      summary: 'Sign-ins from one network',
    });
    const inc = `/v1/operator/incidents/${opened.json().id}`;
    await as('POST', `${inc}/scopes`, {
      from: '2026-04-01T10:00:00Z',
      to: '2026-04-01T12:00:00Z',
      ip_ranges: ['203.0.113.0/24'],
    });
    assert.equal((await as('POST', `${inc}/notices`, { contact: '0120-000-000' })).statusCode, 201);
    const email = async (id: string) => {
      const rows = (await as('GET', `${inc}/notices/list`)).json().data as Notice[];
      const n = rows.find((r) => r.recipient_id === id && r.channel === 'email')!;
      return { state: n.state, attempts: n.attempts, error: n.last_error };
    };
    const askedFor = (address: string) => smtp.asked.filter((a) => a === address).length;

    await h.jobs.deliverNotices();
    assert.deepEqual(await email(refused), {
      state: 'failed',
      attempts: 1,
      error: 'SmtpRefusal: SMTP 550 5.1.1 at RCPT TO',
    });
    assert.deepEqual(await email(deferred), {
      state: 'sent',
      attempts: 1,
      error: 'SmtpDeferral: SMTP 451 4.2.0 at RCPT TO',
    });
    assert.equal((await email(fine)).state, 'delivered');
    // The refused message's event is dead now, kept for operators, never tried again.
    const dead = await sql<{ n: number }[]>`
      select count(*)::int as n from outbox_events
      where topic = 'notify.message' and dead_at is not null and attempts = 1`;
    assert.equal(dead[0]!.n, 1);

    // The server goes away: the deferred message's next attempt finds the port closed.
    await smtp.stop();
    h.clock.advanceMs(60_000);
    await h.jobs.deliverNotices();
    const down = await email(deferred);
    assert.deepEqual([down.state, down.attempts], ['sent', 2]);
    assert.match(down.error ?? '', /ECONNREFUSED/);

    // Back, and no longer busy: it goes through. The refused address was asked for once.
    await smtp.start();
    smtp.defer.delete(deferredEmail);
    h.clock.advanceMs(60_000);
    await h.jobs.deliverNotices();
    assert.deepEqual(await email(deferred), {
      state: 'delivered',
      attempts: 2,
      error: down.error,
    });
    assert.equal(askedFor(deferredEmail), 2, 'asked while busy, then once it took it');
    assert.equal(askedFor(refusedEmail), 1, 'a refusal is never sent again by the outbox');
    const counts = (await as('GET', inc + '/notices')).json().customers.email;
    assert.deepEqual(counts, { queued: 0, sent: 0, delivered: 2, failed: 1 });
  } finally {
    await h.close();
    await smtp.close();
  }
});

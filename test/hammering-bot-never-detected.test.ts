import { test } from 'node:test';
import assert from 'node:assert/strict';
import { harness, type Harness } from './helpers/identity-harness.ts';
import { authenticator } from './helpers/identity-factors.ts';

// Attack: a stuffing bot that ignores Retry-After and keeps hammering. When only checked
// attempts counted, the 429s it got while slowed counted for nothing: it stayed in the slow
// phase, was never blocked, and identity.stuffing.detected never fired; and a slowed source
// left the operators' list within seconds. Refused attempts now count, a detection stays
// open until an operator acknowledges it (audited), and the history is kept.

const opAuth = (token: string) => ({ authorization: `Bearer ${token}` });

/** A risk analyst; returns a way to sign them in (again). */
async function analyst(h: Harness): Promise<() => Promise<string>> {
  const made = await h.identity.createOperator({
    email: 'risk@kinko.example', name: 'Risk', role: 'risk_analyst', password: 'operator passphrase one',
  });
  const app = authenticator(made.totpSecret);
  return async () => {
    const res = await h.app.inject({
      method: 'POST', url: '/v1/operator/login', remoteAddress: '192.0.2.200',
      payload: { email: 'risk@kinko.example', password: 'operator passphrase one', totp_code: app.code(h.clock.nowMs()) },
    });
    assert.equal(res.statusCode, 200, res.body);
    return res.json().session_token as string;
  };
}

const hammer = async (h: Harness, net: string, attempts: number) => {
  const codes: number[] = [];
  for (let i = 0; i < attempts; i++) {
    const res = await h.app.inject({
      method: 'POST', url: '/v1/identity/login', remoteAddress: `${net}.${i % 250}`,
      payload: { identifier: `victim${i}@example.com`, password: 'leaked guess' },
    });
    codes.push(res.statusCode);
    h.clock.advanceMs(100); // ten a second, never waiting for Retry-After
  }
  return codes;
};

test('a bot hammering through 429s is blocked and detected; the detection waits for an operator', async () => {
  const h = await harness();
  try {
    const limits = h.limits.identity;
    const codes = await hammer(h, '203.0.113', 100);
    const checked = codes.filter((c) => c === 401).length;
    process.stdout.write(`# hammering bot: ${checked} of 100 attempts checked in 10 s, the rest refused\n`);
    assert.ok(checked <= limits.sourceFailuresSlowAfter + 2, `${checked} checked`);
    const blocked = await h.app.inject({
      method: 'POST', url: '/v1/identity/login', remoteAddress: '203.0.113.7',
      payload: { identifier: 'someone@example.com', password: 'leaked guess' },
    });
    assert.equal(blocked.json().error.code, 'source_blocked');
    const audit = await h.db.sql`select subject_id from audit_entries where action = 'identity.stuffing.detected'`;
    assert.deepEqual(audit.map((a) => a['subject_id']), ['203.0.113.0/24']);

    // A merely slowed network stays on the operators' list for its window, not seconds.
    await hammer(h, '198.51.100', limits.sourceFailuresSlowAfter + 2);
    const signIn = await analyst(h);
    const token = await signIn();
    h.clock.advanceMs(20_000);
    const sources = await h.app.inject({ method: 'GET', url: '/v1/operator/throttled-sources', headers: opAuth(token) });
    const listed = (sources.json().sources as { source_prefix: string; realm: string }[]).map((s) => `${s.realm} ${s.source_prefix}`);
    assert.deepEqual(listed.sort(), ['customer 198.51.100.0/24', 'customer 203.0.113.0/24']);

    // Long after the block and the window, the detection is still open.
    h.clock.advanceMs((limits.sourceBlockSeconds + limits.sourceWindowSeconds) * 1000);
    const fresh = await signIn();
    const open = await h.app.inject({ method: 'GET', url: '/v1/operator/stuffing-detections', headers: opAuth(fresh) });
    const [d] = open.json().detections as { id: string; source_prefix: string; realm: string; attempts_in_window: number }[];
    assert.equal(open.json().detections.length, 1);
    assert.equal(d!.source_prefix, '203.0.113.0/24');
    assert.equal(d!.realm, 'customer');
    assert.equal(d!.attempts_in_window, limits.sourceFailuresBlockAfter);

    const ack = (id: string) => h.app.inject({
      method: 'POST', url: `/v1/operator/stuffing-detections/${id}/acknowledge`, headers: opAuth(fresh),
      payload: { note: 'Bot network; blocked at the edge too.' },
    });
    const done = await ack(d!.id);
    assert.equal(done.statusCode, 200, done.body);
    assert.equal(done.json().acknowledgement_note, 'Bot network; blocked at the edge too.');
    assert.equal((await ack(d!.id)).json().error.code, 'detection_already_acknowledged');
    assert.equal((await ack('0190a000-0000-7000-8000-000000000000')).json().error.code, 'detection_not_found');

    const after = await h.app.inject({ method: 'GET', url: '/v1/operator/stuffing-detections', headers: opAuth(fresh) });
    assert.equal(after.json().detections.length, 0, 'nothing left open');
    const history = await h.app.inject({ method: 'GET', url: '/v1/operator/stuffing-detections?status=all', headers: opAuth(fresh) });
    assert.equal(history.json().detections.length, 1, 'the history keeps it');
    assert.ok(history.json().detections[0].acknowledged_by);
    const page = (before: string) => h.app.inject({
      method: 'GET', url: `/v1/operator/stuffing-detections?status=all&before=${encodeURIComponent(before)}`, headers: opAuth(fresh),
    });
    assert.equal((await page(new Date(h.clock.nowMs()).toISOString())).json().detections.length, 1);
    assert.equal((await page(history.json().detections[0].detected_at)).json().detections.length, 0, 'pages back past it');
    const acked = await h.db.sql`select actor_id, detail from audit_entries where action = 'identity.stuffing.acknowledged'`;
    assert.equal(acked.length, 1, 'the acknowledgement is audited');
  } finally {
    await h.close();
  }
});

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { signedInOperator, type SignedInOperator } from './helpers/operators.ts';
import { balanceOf, payPlatform, walletUser } from './helpers/payments-platform.ts';
import { askTopup, holdTopupsFrom } from './helpers/reviews.ts';

// The review queue's operator API: every operator reads the queue, only risk analysts and
// security admins decide; a review shows its decision (signals, rules fired, version) and
// the customer's recent activity on one answer; each decision is audited with the operator.

test('support reads the queue; an analyst sees why, approves, and the money moves once', async () => {
  const p = await payPlatform();
  try {
    const version = await holdTopupsFrom(p);
    const u = await walletUser(p, 1);
    const t = await askTopup(p, u, 8_000);
    const support = await signedInOperator(p, 1, 'support');
    const analyst = await signedInOperator(p, 2, 'risk_analyst');
    const get = (url: string, op: SignedInOperator) =>
      p.app.inject({ method: 'GET', url, headers: op.headers });
    const post = (url: string, op: SignedInOperator, payload: object) =>
      p.app.inject({ method: 'POST', url, headers: op.headers, payload });

    const queue = await get('/v1/operator/risk/reviews', support);
    assert.equal(queue.statusCode, 200, queue.body);
    const [review] = queue.json().data;
    assert.equal(review.subject_id, t.id);
    assert.equal(review.amount, '8000');
    const url = `/v1/operator/risk/reviews/${review.id}`;
    for (const action of ['approve', 'decline']) {
      const refused = await post(`${url}/${action}`, support, { note: 'support tries' });
      assert.equal(refused.statusCode, 403, refused.body);
    }
    // Bad input changes nothing and says what is wrong.
    assert.equal((await post(`${url}/approve`, analyst, {})).statusCode, 400);
    const extra = await post(`${url}/approve`, analyst, { note: 'ok', amount: 1 });
    assert.equal(extra.json().error.code, 'parameter_unknown');
    const unknown = await post('/v1/operator/risk/reviews/rv_AAAAAAAAAAAAAAAA/approve', analyst, {
      note: 'ok',
    });
    assert.equal(unknown.json().error.code, 'risk_review_not_found');
    assert.equal(await balanceOf(p, u), '0');

    const one = await get(url, analyst);
    assert.equal(one.statusCode, 200, one.body);
    const d = one.json();
    assert.deepEqual(d.decision.rules_fired, ['hold_topups_for_review']);
    assert.equal(d.decision.version, version);
    assert.equal(d.decision.signals.amount, 8000);
    assert.ok(d.decision.reason_words.length > 0);
    assert.ok(d.activity.sign_ins.length >= 1);
    assert.ok(d.activity.devices.length >= 1);
    assert.ok(
      d.activity.security_changes.some((c: { kind: string }) => c.kind === 'totp_enrolled'),
    );
    assert.equal(d.activity.topups[0].id, t.id);
    assert.equal(d.activity.topups[0].status, 'held');

    const approved = await post(`${url}/approve`, analyst, { note: 'customer confirmed by phone' });
    assert.equal(approved.statusCode, 200, approved.body);
    assert.equal(approved.json().review.status, 'approved');
    assert.equal(approved.json().subject.status, 'succeeded');
    const again = await post(`${url}/decline`, analyst, { note: 'changed my mind' });
    assert.equal(again.statusCode, 409);
    assert.equal(again.json().error.code, 'risk_review_already_decided');
    assert.equal(await balanceOf(p, u), '8000');

    const trail = await p.db.sql<{ action: string; actor_id: string; detail: string }[]>`
      select action, actor_id, detail::text from audit_entries
      where subject_type = 'risk_review' order by id`;
    assert.deepEqual(
      trail.map((e) => [e.action, e.actor_id]),
      [
        ['risk.review.opened', 'risk'],
        ['risk.review.viewed', analyst.id],
        ['risk.review.approved', analyst.id],
      ],
    );
    assert.match(trail[2]!.detail, /customer confirmed by phone/);
    const left = await get('/v1/operator/risk/reviews', support);
    assert.deepEqual(left.json().data, []);
    const decided = await get('/v1/operator/risk/reviews?status=approved', support);
    assert.equal(decided.json().data[0].decided_by, analyst.id);
  } finally {
    await p.close();
  }
});

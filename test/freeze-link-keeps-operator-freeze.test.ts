import { test } from 'node:test';
import assert from 'node:assert/strict';
import { harness, signUp } from './helpers/identity-harness.ts';
import { signedInOperator } from './helpers/operators.ts';

// Unfreezing is a second operator's decision, so that one operator cannot freeze an account
// to cover a takeover and quietly hand it back. A "this was not me" link (valid for 30 days,
// in every receipt a thief reading the victim's mailbox also reads) followed on an account an
// operator froze used to freeze it again as the customer's own freeze: the operator and the
// reason were wiped, and the operator who froze it could then lift it alone.

test("a freeze link on an account an operator froze keeps that operator's freeze", async () => {
  const h = await harness();
  try {
    const c = await signUp(h, 31);
    const link = await h.db.sql.begin((tx) => h.identity.freezeLink(tx, c.customerId));
    const token = /#token=([A-Za-z0-9_-]+)$/.exec(link)?.[1];
    const adminA = await signedInOperator(h, 1, 'security_admin');
    const reason = 'takeover reported by phone';
    const post = (path: string, payload: object, headers = adminA.headers) =>
      h.app.inject({ method: 'POST', url: path, headers, payload });
    const base = `/v1/operator/customers/${c.customerId}`;
    assert.equal((await post(`${base}/freeze`, { reason })).statusCode, 200);
    const followed = await post('/v1/identity/freeze', { token }, {} as typeof adminA.headers);
    assert.equal(followed.statusCode, 200, followed.body);
    const view = await h.app.inject({ method: 'GET', url: base, headers: adminA.headers });
    assert.equal(view.json().status, 'frozen');
    assert.equal(view.json().frozen_by, adminA.id, 'the operator who froze it');
    assert.equal(view.json().frozen_reason, reason);
    const alone = await post(`${base}/unfreeze`, { reason: 'all fine now' });
    assert.equal(alone.json().error?.code, 'unfreeze_needs_second_operator', alone.body);
    const adminB = await signedInOperator(h, 2, 'security_admin');
    const lifted = await post(`${base}/unfreeze`, { reason: 'identity checked' }, adminB.headers);
    assert.equal(lifted.statusCode, 200, lifted.body);
  } finally {
    await h.close();
  }
});

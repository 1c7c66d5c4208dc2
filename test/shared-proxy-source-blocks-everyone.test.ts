import { test } from 'node:test';
import assert from 'node:assert/strict';
import { harness, signUp, type Harness } from './helpers/identity-harness.ts';
import { authenticator } from './helpers/identity-factors.ts';

// Attack: behind a load balancer every request came from the balancer's address, so one
// attacker's failures blocked the balancer's whole /24: every customer, operators included.
// With KINKO_TRUSTED_PROXIES the client is read from X-Forwarded-For, only when the balancer
// sent it; and operator sign-in never shares a bucket with customers.

const BALANCER = '10.0.0.1';
const env = { KINKO_SOURCE_FAILURES_SLOW_AFTER: '1000', KINKO_SOURCE_FAILURES_BLOCK_AFTER: '10' };

const login = (h: Harness, peer: string, body: object, xff?: string) =>
  h.app.inject({
    method: 'POST', url: '/v1/identity/login', remoteAddress: peer, payload: body,
    headers: xff ? { 'x-forwarded-for': xff } : {},
  });

test('behind a trusted balancer, one attacker blocks only its own network', async () => {
  const h = await harness({ env: { ...env, KINKO_TRUSTED_PROXIES: '10.0.0.0/8' } });
  try {
    const c = await signUp(h, 1);
    for (let i = 0; i < 12; i++) {
      await login(h, BALANCER, { identifier: `victim${i}@example.com`, password: 'leaked guess' }, `198.51.100.${i}`);
    }
    const attacker = await login(h, BALANCER, { identifier: 'x@example.com', password: 'leaked guess' }, '198.51.100.99');
    assert.equal(attacker.json().error.code, 'source_blocked');
    // A customer elsewhere, through the same balancer, signs in.
    const ok = await login(h, BALANCER, { identifier: c.email, password: c.password }, '203.0.113.9');
    assert.equal(ok.statusCode, 200, ok.body);
    const kept = await h.db.sql`select 1 from identity_source_failures where source_prefix = '203.0.113.0/24'`;
    assert.equal(kept.length, 0, 'a network that only signed in leaves no throttle row');
    // The attacker's own X-Forwarded-For, sent straight to Kinko, is not believed.
    const spoof = await login(h, '198.51.100.99', { identifier: c.email, password: c.password }, '203.0.113.9');
    assert.equal(spoof.json().error.code, 'source_blocked');
    const audit = await h.db.sql`select subject_id from audit_entries where action = 'identity.stuffing.detected'`;
    assert.deepEqual(audit.map((a) => a['subject_id']), ['198.51.100.0/24']);
  } finally {
    await h.close();
  }
});

test("customers' failures from an operator's network do not block operator sign-in", async () => {
  const h = await harness({ env });
  try {
    const made = await h.identity.createOperator({
      email: 'sec@kinko.example', name: 'Sec', role: 'security_admin', password: 'operator passphrase one',
    });
    for (let i = 0; i < 12; i++) {
      await login(h, `192.0.2.${i}`, { identifier: `victim${i}@example.com`, password: 'leaked guess' });
    }
    const customer = await login(h, '192.0.2.50', { identifier: 'x@example.com', password: 'leaked guess' });
    assert.equal(customer.json().error.code, 'source_blocked');
    const op = await h.app.inject({
      method: 'POST', url: '/v1/operator/login', remoteAddress: '192.0.2.50',
      payload: { email: 'sec@kinko.example', password: 'operator passphrase one', totp_code: authenticator(made.totpSecret).code(h.clock.nowMs()) },
    });
    assert.equal(op.statusCode, 200, op.body);
  } finally {
    await h.close();
  }
});

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { auth, signUp } from './helpers/identity-harness.ts';
import { enrolTotp } from './helpers/identity-factors.ts';
import { payPlatform, walletPost, type PayPlatform } from './helpers/payments-platform.ts';
import { softAuthenticator } from './helpers/soft-authenticator.ts';

// Enrolling a passkey or TOTP proves that factor, so the session that enrolled it counts as
// strongly authenticated: the wallet's first payment code right after enrolment does not ask
// for the same factor again, and the session keeps its token. The attack: a session without
// recent strong authentication must not enrol an additional factor to mint that freshness —
// once any factor exists, enrolling another needs a step-up first.

const RP_ID = 'localhost';
const ORIGIN = 'http://localhost:8080';
const post = (p: PayPlatform, url: string, token: string, payload: object) =>
  p.app.inject({ method: 'POST', url, headers: auth(token), payload });
const paymentCode = (p: PayPlatform, c: Awaited<ReturnType<typeof signUp>>) =>
  walletPost(
    p,
    { ...c, app: undefined as never },
    '/v1/wallet/payment_codes',
    'payment_code',
    {},
    {},
  );

async function enrolmentAudit(p: PayPlatform, factor: string) {
  const rows = await p.db.sql<{ detail: string }[]>`
    select detail from audit_entries where action = 'identity.factor.enrolled'`;
  return rows
    .map((r) => JSON.parse(r.detail) as Record<string, unknown>)
    .filter((d) => d.factor === factor);
}

test('a passkey just enrolled pays its first code without a separate step-up', async () => {
  const p = await payPlatform();
  try {
    const c = await signUp(p, 1);
    const authn = softAuthenticator({ origin: ORIGIN, rpId: RP_ID });
    const options = (await post(p, '/v1/identity/factors/passkey/options', c.token, {})).json();
    const res = await post(p, '/v1/identity/factors/passkey', c.token, {
      credential: authn.register(options),
    });
    assert.equal(res.statusCode, 200, res.body);
    p.clock.advanceMs(30_000);
    const code = await paymentCode(p, c);
    assert.equal(code.statusCode, 200, code.body);
    assert.match(code.json().payment_code as string, /^\d+$/);
    const me = await p.app.inject({
      method: 'GET',
      url: '/v1/identity/session',
      headers: auth(c.token),
    });
    assert.equal(me.statusCode, 200, 'the enrolling session keeps its token');
    const [detail] = await enrolmentAudit(p, 'passkey');
    assert.ok(detail?.strong_auth_session_id, 'the enrolment audit names the refreshed session');
  } finally {
    await p.close();
  }
});

test('a TOTP just enrolled pays its first code without a separate step-up', async () => {
  const p = await payPlatform();
  try {
    const c = await signUp(p, 1);
    await enrolTotp(p, c);
    const code = await paymentCode(p, c);
    assert.equal(code.statusCode, 200, code.body);
    assert.equal((await enrolmentAudit(p, 'totp')).length, 1);
  } finally {
    await p.close();
  }
});

test('a session without a recent step-up cannot enrol another factor to mint freshness', async () => {
  const p = await payPlatform();
  try {
    const c = await signUp(p, 1);
    await enrolTotp(p, c);
    // Registration options fetched (they need no step-up); then the step-up window passes.
    const authn = softAuthenticator({ origin: ORIGIN, rpId: RP_ID });
    const options = (await post(p, '/v1/identity/factors/passkey/options', c.token, {})).json();
    p.clock.advanceMs((p.limits.identity.stepUpSecondsMax + 1) * 1000);
    const stale = await paymentCode(p, c);
    assert.equal(stale.json().error?.code, 'step_up_required', stale.body);

    // Registration itself re-checks factor_change: the options alone grant nothing.
    const enrol = await post(p, '/v1/identity/factors/passkey', c.token, {
      credential: authn.register(options),
    });
    assert.equal(enrol.statusCode, 403, enrol.body);
    assert.equal(enrol.json().error.code, 'step_up_required');
    const passkeys = await p.db.sql`select 1 from identity_passkeys`;
    assert.equal(passkeys.length, 0, 'no passkey was stored');
    assert.equal((await enrolmentAudit(p, 'passkey')).length, 0);

    const after = await paymentCode(p, c);
    assert.equal(after.json().error.code, 'step_up_required', 'no freshness was minted');
  } finally {
    await p.close();
  }
});

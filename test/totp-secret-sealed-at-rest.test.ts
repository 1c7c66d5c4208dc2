import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import path from 'node:path';
import {
  loadOrCreateIdentitySecretsKey,
  sealLegacyTotpSecrets,
} from '../src/identity/index.ts';
import { auth, harness, signUp, withMailbox, type Harness } from './helpers/identity-harness.ts';
import { testPlatform } from './helpers/platform.ts';
import {
  authenticator,
  authenticatorOf,
  enrolTotp,
  type Authenticator,
} from './helpers/identity-factors.ts';

// Attack (GMO Payment Gateway 2017, 7pay 2019): a copy of the database is read off a server.
// TOTP secrets are the second factor itself; stored in clear they would let the reader make
// every future code for every customer and operator. They are sealed under a key kept
// outside the database, bound to their owner: a copy holds nothing usable, a box moved onto
// another row does not open, and a secret written into the table in clear is never used.

const stepUp = (h: Harness, token: string, code: string) =>
  h.app.inject({
    method: 'POST',
    url: '/v1/identity/step-up',
    headers: auth(token),
    payload: { totp_code: code },
  });

const OPERATOR = { email: 'sec@kinko.example', password: 'operator passphrase one' };

/** A security admin; returns the authenticator app holding their TOTP secret. */
async function operator(h: Harness): Promise<Authenticator> {
  const op = await h.identity.createOperator({ ...OPERATOR, name: 'Sec', role: 'security_admin' });
  return authenticator(op.totpSecret);
}

const operatorLogin = (h: Harness, app: Authenticator) =>
  h.app.inject({
    method: 'POST',
    url: '/v1/operator/login',
    payload: { ...OPERATOR, totp_code: app.code(h.clock.nowMs()) },
    remoteAddress: '10.9.8.7',
  });

async function tableText(h: Harness): Promise<string> {
  const rows = await h.db.sql`
    select (select coalesce(json_agg(t), '[]')::text from identity_totp t) ||
           (select coalesce(json_agg(o), '[]')::text from identity_operators o) as text`;
  return String(rows[0]!['text']);
}

function assertAbsent(dump: string, app: Authenticator, what: string): void {
  const raw = Buffer.from(app.secret);
  for (const form of [raw.toString('hex'), raw.toString('base64'), raw.toString('base64url')]) {
    assert.ok(!dump.includes(form), `${what}'s secret is in the table (${form})`);
  }
}

/** Neither secret is in the tables, and both factors still work through the sealed ones. */
async function sealedAndWorking(
  h: Harness,
  token: string,
  app: Authenticator,
  opApp: Authenticator,
) {
  const dump = await tableText(h);
  assertAbsent(dump, app, 'the customer');
  assertAbsent(dump, opApp, 'the operator');
  const step = await stepUp(h, token, app.code(h.clock.nowMs()));
  assert.equal(step.statusCode, 200, step.body);
  const ok = await operatorLogin(h, opApp);
  assert.equal(ok.statusCode, 200, ok.body);
}

test('TOTP secrets are sealed: a table dump holds neither secret, in any encoding', async () => {
  const h = await harness();
  try {
    const c = await signUp(h, 1);
    const { app } = await enrolTotp(h, c);
    const opApp = await operator(h);
    const rows = await h.db.sql`
      select secret, secret_box from identity_totp
      union all select totp_secret, totp_secret_box from identity_operators`;
    assert.equal(rows.length, 2);
    for (const r of rows) {
      assert.equal(r['secret'], null, 'no secret in clear');
      assert.equal((r['secret_box'] as Buffer)[0], 1, 'a sealed box, version 1');
    }
    await sealedAndWorking(h, c.token, app, opApp);
  } finally {
    await h.close();
  }
});

test('a sealed secret moved to another customer, or a secret written in clear, is refused', async () => {
  const h = await harness();
  try {
    const victim = await signUp(h, 1);
    await enrolTotp(h, victim);
    const attacker = await signUp(h, 2);
    const { app: attackerApp } = await enrolTotp(h, attacker);
    // The attacker copies their own box onto the victim's row, then uses their own app.
    await h.db.sql`
      update identity_totp set secret_box = (
        select secret_box from identity_totp where customer_id = ${attacker.customerId})
      where customer_id = ${victim.customerId}`;
    const moved = await stepUp(h, victim.token, attackerApp.code(h.clock.nowMs()));
    assert.equal(moved.statusCode, 401, moved.body);
    assert.equal(moved.json().error.code, 'factor_invalid');
    // Or writes a secret of their choosing in clear.
    const chosen = randomBytes(20);
    await h.db.sql`
      update identity_totp set secret = ${chosen}, secret_box = null
      where customer_id = ${victim.customerId}`;
    const chosenApp = authenticatorOf(chosen);
    const clear = await stepUp(h, victim.token, chosenApp.code(h.clock.nowMs()));
    assert.equal(clear.statusCode, 401, clear.body);
    assert.equal(clear.json().error.code, 'factor_invalid');
  } finally {
    await h.close();
  }
});

test('secrets stored in clear before sealing existed are sealed at start-up and keep working', async () => {
  const h = await harness();
  try {
    const c = await signUp(h, 1);
    const { app } = await enrolTotp(h, c);
    const opApp = await operator(h);
    // Put both rows back as an older Kinko wrote them: the secret in clear, no box.
    await h.db.sql`update identity_totp set secret = ${Buffer.from(app.secret)}, secret_box = null`;
    await h.db.sql`
      update identity_operators set totp_secret = ${Buffer.from(opApp.secret)},
        totp_secret_box = null`;
    // The next start (a second process on the same database and key files) seals them.
    const restarted = withMailbox(await testPlatform({ beside: h }));
    try {
      await sealedAndWorking(restarted, c.token, app, opApp);
    } finally {
      await restarted.close();
    }
    const key = loadOrCreateIdentitySecretsKey(path.join(h.keysDir, 'identity-secrets.key'));
    assert.equal(await sealLegacyTotpSecrets(h.db.owner, key), 0, 'a second run finds nothing');
  } finally {
    await h.close();
  }
});

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { auth, deviceKey, harness, signUp, type Harness } from './helpers/identity-harness.ts';
import { enrolTotp } from './helpers/identity-factors.ts';

// Attack: throttles that are checked in one step and counted in another let guesses sent
// in parallel all pass the check before any of them is counted. Each case fires a burst at
// once and counts the attempts that reached the password or code verifier (a 401 means the
// answer was checked and wrong; a 429 means it was refused unchecked). The ideal is what
// sequential attempts would get.

type Res = Awaited<ReturnType<Harness['app']['inject']>>;
const tally = (all: Res[]) => ({
  checked: all.filter((r) => r.statusCode === 401).length,
  refused: all.filter((r) => r.statusCode === 429).length,
  other: all.filter((r) => r.statusCode !== 401 && r.statusCode !== 429).map((r) => r.body),
});
const loginAs = (h: Harness, identifier: string, ip: string, password = 'not the password') =>
  h.app.inject({ method: 'POST', url: '/v1/identity/login', remoteAddress: ip, payload: { identifier, password } });

test('30 parallel wrong logins from a slowed network: one is checked', async () => {
  const h = await harness({ env: { KINKO_SOURCE_FAILURES_SLOW_AFTER: '3', KINKO_SOURCE_FAILURES_BLOCK_AFTER: '1000' } });
  try {
    // Three failures slow the network; its delay then expires.
    for (let i = 0; i < 3; i++) assert.equal((await loginAs(h, `warm${i}@example.com`, `198.51.100.${i}`)).statusCode, 401);
    h.clock.advanceMs((h.limits.identity.sourceSlowDelaySeconds + 1) * 1000);
    const burst = await Promise.all(
      Array.from({ length: 30 }, (_, i) => loginAs(h, `burst${i}@example.com`, `198.51.100.${10 + i}`)),
    );
    const t = tally(burst);
    process.stdout.write(`# slowed network: ${t.checked} of 30 parallel attempts checked (ideal 1)\n`);
    assert.deepEqual(t.other, []);
    assert.equal(t.checked, 1);
    assert.equal(t.refused, 29);
  } finally {
    await h.close();
  }
});

test('30 parallel wrong passwords on one account: only the free ones and the first delayed one', async () => {
  const h = await harness();
  try {
    const c = await signUp(h, 1);
    // From thirty networks, so that only the account's own throttle applies.
    const burst = await Promise.all(
      Array.from({ length: 30 }, (_, i) => loginAs(h, c.email, `10.${i}.0.1`, `guess ${i}`)),
    );
    const t = tally(burst);
    const free = h.limits.identity.loginFailuresFreeMax;
    process.stdout.write(`# one account: ${t.checked} of 30 parallel guesses checked (${free} free, then a delay)\n`);
    assert.deepEqual(t.other, []);
    // Sequentially the free failures pass, then one more, whose failure starts the delay.
    assert.equal(t.checked, free + 1);
    const wrong = await h.db.sql`select count(*)::int as n from audit_entries where action = 'identity.login.failed'`;
    assert.equal(wrong[0]!['n'], free + 1, 'the audit trail agrees: only those reached the verifier');
  } finally {
    await h.close();
  }
});

test('40 parallel wrong TOTP codes at step-up: only the budget is checked', async () => {
  const h = await harness();
  try {
    const c = await signUp(h, 2);
    const { app } = await enrolTotp(h, c);
    const right = app.code(h.clock.nowMs());
    // Forty codes that are all wrong at this moment (none within the drift window).
    const wrong = Array.from({ length: 40 }, (_, i) => String((Number(right) + 1000 + i * 7919) % 1_000_000).padStart(6, '0'));
    const burst = await Promise.all(
      wrong.map((code) => h.app.inject({ method: 'POST', url: '/v1/identity/step-up', headers: auth(c.token), payload: { totp_code: code } })),
    );
    const t = tally(burst);
    const budget = h.limits.identity.codeAttemptsMax;
    process.stdout.write(`# step-up: ${t.checked} of 40 parallel TOTP codes checked (budget ${budget})\n`);
    assert.deepEqual(t.other, []);
    assert.equal(t.checked, budget);
    // The budget is spent: even the right code is refused unchecked until the window ends.
    const late = await h.app.inject({ method: 'POST', url: '/v1/identity/step-up', headers: auth(c.token), payload: { totp_code: right } });
    assert.equal(late.json().error.code, 'login_throttled');
  } finally {
    await h.close();
  }
});

test('30 parallel wrong operator sign-ins: the same budget as one at a time', async () => {
  const h = await harness();
  try {
    await h.identity.createOperator({
      email: 'sec@kinko.example', name: 'Sec', role: 'security_admin', password: 'operator passphrase one',
    });
    const burst = await Promise.all(
      Array.from({ length: 30 }, (_, i) => h.app.inject({
        method: 'POST', url: '/v1/operator/login', remoteAddress: `10.${i}.0.2`,
        payload: { email: 'sec@kinko.example', password: `wrong passphrase ${i}`, totp_code: '000000' },
      })),
    );
    const t = tally(burst);
    process.stdout.write(`# operator: ${t.checked} of 30 parallel sign-ins checked\n`);
    assert.deepEqual(t.other, []);
    assert.equal(t.checked, h.limits.identity.loginFailuresFreeMax + 1);
  } finally {
    await h.close();
  }
});

test('a new device per guess buys no extra TOTP guesses: confirmation shares the budget', async () => {
  const h = await harness();
  try {
    const victim = await signUp(h, 3);
    await enrolTotp(h, victim);
    const login = await loginAs(h, victim.email, '203.0.113.66', victim.password);
    const thief = login.json().session_token as string;
    const codes: string[] = [];
    for (let i = 0; i < 8; i++) {
      const reg = await h.app.inject({
        method: 'POST', url: '/v1/identity/devices', headers: auth(thief),
        payload: { name: `thief phone ${i}`, public_key: deviceKey().publicJwk },
      });
      assert.equal(reg.statusCode, 202, reg.body);
      const res = await h.app.inject({
        method: 'POST', url: `/v1/identity/devices/${reg.json().device_id}/confirm`, headers: auth(thief),
        payload: { totp_code: String(100000 + i) },
      });
      codes.push(res.json().error.code as string);
    }
    const budget = h.limits.identity.codeAttemptsMax;
    assert.deepEqual(codes.slice(0, budget), Array(budget).fill('verification_code_invalid'));
    assert.deepEqual(codes.slice(budget), Array(8 - budget).fill('login_throttled'));
  } finally {
    await h.close();
  }
});

test('20 parallel recovery requests for one account: only the hourly allowance starts', async () => {
  const h = await harness();
  try {
    const c = await signUp(h, 4);
    const burst = await Promise.all(
      Array.from({ length: 20 }, (_, i) => h.app.inject({
        method: 'POST', url: '/v1/identity/recovery', remoteAddress: `10.${i}.0.3`, payload: { identifier: c.email },
      })),
    );
    const started = burst.filter((r) => r.statusCode === 202).length;
    const limited = burst.filter((r) => r.json().error?.code === 'recovery_rate_limited').length;
    assert.equal(started, h.limits.identity.recoveryStartsPerAccountPerHourMax);
    assert.equal(started + limited, 20);
  } finally {
    await h.close();
  }
});

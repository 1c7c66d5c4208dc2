import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { App } from '../src/http/index.ts';
import { auth } from './helpers/identity-harness.ts';
import {
  fundWallet,
  payPlatform,
  registerPay,
  walletPost,
  walletUser,
  type PayPlatform,
  type WalletUser,
} from './helpers/payments-platform.ts';
import { testPlatform, type TestPlatform } from './helpers/platform.ts';

// After the register charges a code, the wallet that showed it hears of it within about a
// second: GET /v1/wallet/code_payments/next waits (long polling) and answers with the
// amount, the store's name and the new balance. The register pays through one server and
// the wallet waits on another that shares nothing with it but the database, as two
// processes behind a load balancer would.

/** A second server on the same database and key files: another process, sharing nothing else. */
async function secondServer(p: PayPlatform): Promise<TestPlatform> {
  return testPlatform({ beside: p });
}

async function issue(p: PayPlatform, u: WalletUser) {
  const res = await walletPost(p, u, '/v1/wallet/payment_codes', 'payment_code', {}, {});
  assert.equal(res.statusCode, 200, res.body);
  return res.json() as { payment_code: string; issued_at: string; expires_at: string };
}

function next(app: App, u: WalletUser, after: string, waitSeconds?: number) {
  const q = new URLSearchParams({ after });
  if (waitSeconds !== undefined) q.set('wait_seconds', String(waitSeconds));
  return app.inject({
    method: 'GET',
    url: `/v1/wallet/code_payments/next?${q}`,
    headers: auth(u.token),
  });
}

test('the wallet hears of its code payment within a second, across servers', async (t) => {
  const p = await payPlatform();
  const other = await secondServer(p);
  let otherOpen = true;
  t.after(async () => {
    if (otherOpen) await other.close();
    await p.close();
  });
  const u = await walletUser(p, 1);
  await fundWallet(p, u, 5000);
  const code = await issue(p, u);

  const started = Date.now();
  const waiting = next(other.app, u, code.issued_at, 10);
  await new Promise((r) => setTimeout(r, 600));
  p.clock.advanceMs(1000);
  const paid = await registerPay(p, code.payment_code, 1200);
  assert.equal(paid.statusCode, 200, paid.body);
  const committedAt = Date.now();
  const heard = await waiting;
  const lagMs = Date.now() - committedAt;
  assert.equal(heard.statusCode, 200, heard.body);
  const body = heard.json();
  assert.equal(body.object, 'code_payment_notice');
  assert.equal(body.payment.id, paid.json().id);
  assert.equal(body.payment.amount, '1200');
  assert.equal(body.payment.store_name, 'Yamada Shoten Shibuya');
  assert.equal(body.balance, '3800');
  assert.ok(Date.now() - started >= 600, 'the answer waited for the payment');
  assert.ok(lagMs < 1000, `heard ${lagMs} ms after the payment committed`);
  t.diagnostic(`wallet heard the payment ${lagMs} ms after it committed`);

  // Asked again with the same time, the answer is immediate; a later time waits and ends.
  const again = await next(p.app, u, code.issued_at, 10);
  assert.equal(again.json().payment.id, paid.json().id);
  const quietStarted = Date.now();
  const quiet = await next(p.app, u, body.payment.created_at, 1);
  assert.equal(quiet.statusCode, 200, quiet.body);
  assert.equal(quiet.json().payment, null);
  const quietMs = Date.now() - quietStarted;
  assert.ok(quietMs >= 900 && quietMs < 3000, `a wait of 1 s took ${quietMs} ms`);

  // A server shutting down answers its open waits at once instead of holding them.
  const open = next(other.app, u, body.payment.created_at, 20);
  await new Promise((r) => setTimeout(r, 300));
  const closing = Date.now();
  otherOpen = false;
  await other.close();
  const ended = await open;
  assert.equal(ended.json().payment, null, ended.body);
  assert.ok(Date.now() - closing < 2000, `${Date.now() - closing} ms to close`);
});

test('waits are bounded, private to the customer and its device, and need a session', async (t) => {
  const p = await payPlatform();
  t.after(() => p.close());
  const [a, b] = [await walletUser(p, 1), await walletUser(p, 2)];
  await fundWallet(p, a, 5000);
  const code = await issue(p, a);
  p.clock.advanceMs(1000);
  assert.equal((await registerPay(p, code.payment_code, 700)).statusCode, 200);

  // Another customer never hears of it.
  const other = await next(p.app, b, code.issued_at, 1);
  assert.equal(other.json().payment, null);

  // Two waits per customer at once; a third is answered at once with when to ask again.
  const later = new Date(Date.parse(code.issued_at) + 60_000).toISOString();
  const held = [next(p.app, b, later, 2), next(p.app, b, later, 2)];
  await new Promise((r) => setTimeout(r, 300));
  const t0 = Date.now();
  const third = await next(p.app, b, later, 2);
  assert.ok(Date.now() - t0 < 1000);
  assert.deepEqual(third.json(), {
    object: 'code_payment_notice',
    payment: null,
    retry_after_seconds: 5,
  });
  for (const h of await Promise.all(held)) assert.equal(h.json().payment, null);

  // The wait is at most codeWatchSecondsMax; bad times and no session are refused.
  const tooLong = await next(p.app, b, later, 600);
  assert.equal(tooLong.statusCode, 400, tooLong.body);
  const notATime = await next(p.app, b, 'yesterday', 1);
  assert.equal(notATime.statusCode, 400, notATime.body);
  const anonymous = await p.app.inject({
    method: 'GET',
    url: `/v1/wallet/code_payments/next?after=${encodeURIComponent(later)}`,
  });
  assert.equal(anonymous.statusCode, 401, anonymous.body);
});

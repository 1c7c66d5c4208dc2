import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  balanceOf,
  fundWallet,
  idem,
  issueCode,
  payPlatform,
  registerPay,
  walletUser,
  type PayPlatform,
} from './helpers/payments-platform.ts';
import { accountIdFor } from '../src/payments/index.ts';

// The attack: a merchant set up with `kinko merchants create --mode test` gets only test keys,
// but its register signs in with terminal credentials, which used to be live always. Scanning
// a real customer's payment code there charged the wallet and the money landed in the test
// merchant's live balance. A terminal now has a mode fixed at creation; a test terminal's
// wallet payments are refused (400 livemode_required) before the code is read or a guess is
// counted, and nothing changes.

const line = (lines: string[], label: string) => {
  const l = lines.find((x) => x.startsWith(label));
  assert.ok(l, `${label} printed`);
  return l.slice(label.length).trim().split(/\s+/)[0]!;
};

async function testModeMerchant(p: PayPlatform) {
  const out: string[] = [];
  const err: string[] = [];
  const code = await p.modules.merchants.createMerchantCommand(
    [
      '--name',
      'Sandbox Shoten',
      '--owner-email',
      'owner@sandbox.example',
      '--mode',
      'test',
      '--store',
      'Sandbox Store',
      '--mcc',
      '5411',
      '--city',
      'Shibuya',
      '--postal-code',
      '150-0002',
    ],
    (l) => out.push(l),
    (l) => err.push(l),
  );
  assert.equal(code, 0, err.join('\n'));
  const sk = line(out, 'secret key');
  assert.match(sk, /^sk_test_/);
  return {
    merchantId: line(out, 'merchant'),
    storeId: line(out, 'store'),
    sk,
    auth: `Terminal ${line(out, 'terminal ')}:${line(out, 'terminal secret')}`,
  };
}

/** Everything a wallet payment attempt could touch. */
async function footprint(p: PayPlatform) {
  const [r] = await p.db.sql<Record<string, string>[]>`
    select (select count(*) from ledger_transfers)::text as transfers,
           (select count(*) from payments_payments)::text as payments,
           (select coalesce(sum(failures), 0) from payments_guess_counters)::text as guesses,
           (select count(*) from payments_idempotency)::text as idempotency,
           (select count(*) from payments_codes where used_at is not null)::text as used`;
  return r;
}

test("a test-mode merchant's terminal cannot take wallet money; a live one still can", async () => {
  const p = await payPlatform();
  try {
    const t = await testModeMerchant(p);
    const get = (url: string, authorization: string) =>
      p.app.inject({ method: 'GET', url, headers: { authorization } });
    const me = await get('/v1/terminal', t.auth);
    assert.equal(me.statusCode, 200, me.body);
    assert.equal(me.json().mode, 'test');
    const listed = (await get('/v1/terminals', `Bearer ${t.sk}`)).json();
    assert.deepEqual(
      listed.data.map((x: { mode: string }) => x.mode),
      ['test'],
    );
    assert.equal((await get('/v1/terminal', p.merchant.terminalAuth)).json().mode, 'live');

    const u = await walletUser(p, 1);
    await fundWallet(p, u, 5000);
    const fresh = await issueCode(p, u);
    const spent = await issueCode(p, u);
    assert.equal((await registerPay(p, spent, 100)).statusCode, 200);
    const before = await footprint(p);
    for (const code of [fresh, spent]) {
      const res = await p.app.inject({
        method: 'POST',
        url: '/v1/code_payments',
        headers: { authorization: t.auth, ...idem() },
        payload: { code, amount: 1000, store_id: t.storeId },
      });
      assert.equal(res.statusCode, 400, res.body);
      assert.equal(res.json().error.code, 'livemode_required');
    }
    assert.deepEqual(await footprint(p), before, 'no transfer, payment, guess or key recorded');
    assert.equal(await balanceOf(p, u), '4900', 'the wallet kept its money');
    const [acct] = await p.modules.ledger.lookupAccounts([
      accountIdFor('merchant', t.merchantId, 'JPY'),
    ]);
    assert.equal((acct?.creditsPosted ?? 0n) - (acct?.debitsPosted ?? 0n), 0n);
    assert.deepEqual((await get('/v1/balance_transactions', `Bearer ${t.sk}`)).json().data, []);

    // A test key cannot make a live register either; the terminals it makes are test ones.
    const make = (mode?: string) =>
      p.app.inject({
        method: 'POST',
        url: '/v1/terminals',
        headers: { authorization: `Bearer ${t.sk}`, ...idem() },
        payload: { store_id: t.storeId, name: 'Register 2', ...(mode ? { mode } : {}) },
      });
    const live = await make('live');
    assert.equal(live.statusCode, 400, live.body);
    assert.equal(live.json().error.param, 'mode');
    const made = await make();
    assert.equal(made.statusCode, 201, made.body);
    assert.equal(made.json().mode, 'test');

    // A live merchant may make a test register; a live key naming it is refused the same way.
    const sk = p.merchant.secretKey;
    const testReg = await p.app.inject({
      method: 'POST',
      url: '/v1/terminals',
      headers: { authorization: `Bearer ${sk}`, ...idem() },
      payload: { store_id: p.merchant.store!.id, name: 'Training till', mode: 'test' },
    });
    assert.equal(testReg.json().mode, 'test', testReg.body);
    const viaKey = await p.app.inject({
      method: 'POST',
      url: '/v1/code_payments',
      headers: { authorization: `Bearer ${sk}`, ...idem() },
      payload: {
        code: fresh,
        amount: 1000,
        store_id: p.merchant.store!.id,
        terminal_id: testReg.json().id,
      },
    });
    assert.equal(viaKey.json().error?.code, 'livemode_required', viaKey.body);
    assert.deepEqual(await footprint(p), before);

    // The live merchant's register still takes the customer's code.
    const paid = await registerPay(p, fresh, 1000);
    assert.equal(paid.statusCode, 200, paid.body);
    assert.equal(await balanceOf(p, u), '3900');
  } finally {
    await p.close();
  }
});

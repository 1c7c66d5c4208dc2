import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  balanceOf,
  fundWallet,
  idem,
  issueCode,
  payPlatform,
  registerPay,
  walletPost,
  walletUser,
  type PayPlatform,
} from './helpers/payments-platform.ts';
import { accountIdFor } from '../src/payments/index.ts';

// Every movement of a merchant's money is visible through the merchant API: code payments at
// the register, store QR payments and their refunds appear in /v1/balance_transactions beside
// card payments, and are listed (/v1/code_payments, /v1/code_refunds) with the pagination of
// /v1/payments. A test-mode key never moves or sees a real wallet's money.

const get = (p: PayPlatform, url: string, key: string) =>
  p.app.inject({ method: 'GET', url, headers: { authorization: `Bearer ${key}` } });

async function storePay(p: PayPlatform, u: Awaited<ReturnType<typeof walletUser>>, n: number) {
  const qr = await get(p, `/v1/stores/${p.merchant.store!.id}/qr`, p.merchant.secretKey);
  const pay = await walletPost(p, u, '/v1/wallet/store_payments', 'payment_code', {
    payload: qr.json().payload,
    amount: n,
  });
  assert.equal(pay.statusCode, 200, pay.body);
  return pay.json().id as string;
}

test('code and store payments and their refunds are balance transactions and are listed', async () => {
  const p = await payPlatform();
  try {
    const sk = p.merchant.secretKey;
    const u = await walletUser(p, 1);
    await fundWallet(p, u, 10_000);
    const cpm: string[] = [];
    for (const amount of [1200, 700, 500]) {
      const paid = await registerPay(p, await issueCode(p, u), amount);
      assert.equal(paid.statusCode, 200, paid.body);
      cpm.push(paid.json().id as string);
    }
    const mpm = await storePay(p, u, 300);
    const refund = await p.app.inject({
      method: 'POST',
      url: `/v1/code_payments/${cpm[0]}/refunds`,
      headers: { authorization: `Bearer ${sk}`, ...idem() },
      payload: { amount: 200 },
    });
    assert.equal(refund.statusCode, 200, refund.body);

    const txns = (await get(p, '/v1/balance_transactions?limit=100', sk)).json();
    type Line = [string, string, number];
    const lines: Line[] = txns.data.map(
      (t: { type: string; source: string; amount: number }): Line => [t.type, t.source, t.amount],
    );
    assert.deepEqual(lines, [
      ['wallet_refund', refund.json().id, -200],
      ['store_payment', mpm, 300],
      ['code_payment', cpm[2], 500],
      ['code_payment', cpm[1], 700],
      ['code_payment', cpm[0], 1200],
    ]);
    assert.ok(txns.data.every((t: { livemode: boolean }) => t.livemode));
    // The balance transactions add up to what the ledger holds for the merchant.
    const [account] = await p.modules.ledger.lookupAccounts([
      accountIdFor('merchant', p.merchant.merchantId, 'JPY'),
    ]);
    const sum = lines.reduce((a, l) => a + l[2], 0);
    assert.equal(BigInt(sum), account!.creditsPosted - account!.debitsPosted);

    // Lists page like /v1/payments: newest first, has_more, both cursors, filters.
    const page1 = (await get(p, '/v1/code_payments?limit=2', sk)).json();
    assert.equal(page1.object, 'list');
    assert.deepEqual(
      page1.data.map((x: { id: string }) => x.id),
      [mpm, cpm[2]],
    );
    assert.equal(page1.has_more, true);
    const page2 = (await get(p, `/v1/code_payments?limit=2&starting_after=${cpm[2]}`, sk)).json();
    assert.deepEqual(
      page2.data.map((x: { id: string }) => x.id),
      [cpm[1], cpm[0]],
    );
    assert.equal(page2.has_more, false);
    const back = (await get(p, `/v1/code_payments?limit=2&ending_before=${cpm[1]}`, sk)).json();
    assert.deepEqual(
      back.data.map((x: { id: string }) => x.id),
      [mpm, cpm[2]],
    );
    const stores = (await get(p, '/v1/code_payments?method=mpm', sk)).json();
    assert.deepEqual(
      stores.data.map((x: { id: string; method: string }) => [x.id, x.method]),
      [[mpm, 'mpm']],
    );
    assert.equal(page2.data[1].amount_refunded, '200');
    const refunds = (await get(p, `/v1/code_refunds?payment=${cpm[0]}`, sk)).json();
    assert.deepEqual(
      refunds.data.map((r: { id: string; amount: string }) => [r.id, r.amount]),
      [[refund.json().id, '200']],
    );
    const unknown = await get(p, '/v1/code_payments?starting_after=pay_doesnotexist1', sk);
    assert.equal(unknown.json().error.code, 'pagination_cursor_not_found', unknown.body);

    // The OpenAPI document describes the lists and their paging.
    const spec = (await p.app.inject({ method: 'GET', url: '/openapi.json' })).json();
    for (const list of ['/v1/code_payments', '/v1/code_refunds']) {
      const names = spec.paths[list].get.parameters.map((x: { name: string }) => x.name);
      for (const name of ['limit', 'starting_after', 'ending_before', 'created[gte]']) {
        assert.ok(names.includes(name), `${list} documents ${name}`);
      }
    }
  } finally {
    await p.close();
  }
});

test('a test-mode key neither takes, refunds nor sees real wallet money', async () => {
  const p = await payPlatform();
  try {
    const { value: testKey } = await p.modules.merchants.createApiKey(
      p.merchant.merchantId,
      { kind: 'secret', mode: 'test' },
      { type: 'cli' },
    );
    assert.match(testKey, /^sk_test_/);
    const u = await walletUser(p, 2);
    await fundWallet(p, u, 5000);
    const code = await issueCode(p, u);
    const taken = await p.app.inject({
      method: 'POST',
      url: '/v1/code_payments',
      headers: { authorization: `Bearer ${testKey}`, ...idem() },
      payload: {
        code,
        amount: 1000,
        store_id: p.merchant.store!.id,
        terminal_id: p.merchant.terminal!.id,
      },
    });
    assert.equal(taken.statusCode, 400, taken.body);
    assert.equal(taken.json().error.code, 'livemode_required');
    assert.equal(await balanceOf(p, u), '5000', 'the wallet kept its money');

    const live = await registerPay(p, code, 1000);
    assert.equal(live.statusCode, 200, live.body);
    const id = live.json().id as string;
    const refund = await p.app.inject({
      method: 'POST',
      url: `/v1/code_payments/${id}/refunds`,
      headers: { authorization: `Bearer ${testKey}`, ...idem() },
      payload: { amount: 1000 },
    });
    assert.equal(refund.json().error.code, 'livemode_required', refund.body);
    assert.equal(await balanceOf(p, u), '4000');

    assert.equal((await get(p, `/v1/code_payments/${id}`, testKey)).statusCode, 404);
    assert.deepEqual((await get(p, '/v1/code_payments', testKey)).json().data, []);
    assert.deepEqual((await get(p, '/v1/code_refunds', testKey)).json().data, []);
    assert.deepEqual((await get(p, '/v1/balance_transactions', testKey)).json().data, []);
    const liveTxns = (await get(p, '/v1/balance_transactions', p.merchant.secretKey)).json();
    assert.equal(liveTxns.data.length, 1);
  } finally {
    await p.close();
  }
});

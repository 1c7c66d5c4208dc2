import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  balanceOf,
  fundWallet,
  payPlatform,
  walletPost,
  walletUser,
} from './helpers/payments-platform.ts';
import { accountIdFor } from '../src/payments/index.ts';

// The attack: a merchant holding only a test key (sk_test_…) asks for its store's QR payload,
// prints it, and a customer pays it from the wallet. The payload names only the store, so the
// payment credited the merchant's live balance with real wallet money. A store QR is now issued
// only to a live key; a test key is refused with livemode_required and nothing is issued.

test('a test key gets no store QR, so no real wallet money reaches the merchant', async () => {
  const p = await payPlatform();
  try {
    const { value: testKey } = await p.modules.merchants.createApiKey(
      p.merchant.merchantId,
      { kind: 'secret', mode: 'test' },
      { type: 'cli' },
    );
    const storeId = p.merchant.store!.id;
    const u = await walletUser(p, 7);
    await fundWallet(p, u, 5000);
    const account = accountIdFor('merchant', p.merchant.merchantId, 'JPY');
    const liveBalance = async () => {
      const [a] = await p.modules.ledger.lookupAccounts([account]);
      return a ? a.creditsPosted - a.debitsPosted : 0n;
    };
    const before = await liveBalance();

    const qr = await p.app.inject({
      method: 'GET',
      url: `/v1/stores/${storeId}/qr`,
      headers: { authorization: `Bearer ${testKey}` },
    });
    assert.equal(qr.statusCode, 400, qr.body.slice(0, 300));
    const error = qr.json().error;
    assert.equal(error.code, 'livemode_required');
    assert.match(error.message, /store QR/i);
    assert.match(error.message, /live/);
    assert.equal(qr.json().payload, undefined, 'no payload is handed to a test key');

    // What the attacker would have printed had the payload been issued: the customer's
    // attempt to pay it (with whatever the test key got back) moves nothing.
    const pay = await walletPost(p, u, '/v1/wallet/store_payments', 'payment_code', {
      payload: qr.json().payload ?? '',
      amount: 1000,
    });
    assert.notEqual(pay.statusCode, 200, pay.body);
    assert.equal(await balanceOf(p, u), '5000', 'the wallet kept its money');
    assert.equal(await liveBalance(), before, 'the live balance did not move');

    // A live key still gets the store's payload, and customers pay it as before.
    const live = await p.app.inject({
      method: 'GET',
      url: `/v1/stores/${storeId}/qr`,
      headers: { authorization: `Bearer ${p.merchant.secretKey}` },
    });
    assert.equal(live.statusCode, 200, live.body);
    const paid = await walletPost(p, u, '/v1/wallet/store_payments', 'payment_code', {
      payload: live.json().payload,
      amount: 1000,
    });
    assert.equal(paid.statusCode, 200, paid.body);
    assert.equal(await balanceOf(p, u), '4000');
  } finally {
    await p.close();
  }
});

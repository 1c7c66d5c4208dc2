import { test } from 'node:test';
import assert from 'node:assert/strict';
import { accountIdFor } from '../src/payments/index.ts';
import { idem, paidThenDeleted, payPlatform } from './helpers/payments-platform.ts';

// A customer spends the wallet to zero and deletes the account; the shop then refunds the
// payment. The refund answered 200 and moved the money from the merchant into the deleted
// wallet, which no one can sign in to, spend or have paid out: lost to both. It is refused,
// and nothing moves.

test('a refund into a deleted wallet is refused and moves nothing', async () => {
  const p = await payPlatform();
  try {
    const { u, paid } = await paidThenDeleted(p, 1200);
    const merchantAccount = accountIdFor('merchant', p.merchant.merchantId, 'JPY');
    const walletAccount = accountIdFor('customer_wallet', u.customerId, 'JPY');
    const before = await p.modules.ledger.lookupAccounts([merchantAccount, walletAccount]);
    const refund = await p.app.inject({
      method: 'POST',
      url: `/v1/code_payments/${paid.json().id}/refunds`,
      headers: { authorization: `Bearer ${p.merchant.secretKey}`, ...idem() },
      payload: { amount: 700 },
    });
    assert.equal(refund.statusCode, 409, refund.body);
    assert.equal(refund.json().error.code, 'wallet_closed');
    const after = await p.modules.ledger.lookupAccounts([merchantAccount, walletAccount]);
    assert.deepEqual(after, before, 'no money moved');
    const listed = await p.app.inject({
      method: 'GET',
      url: `/v1/code_payments/${paid.json().id}`,
      headers: { authorization: `Bearer ${p.merchant.secretKey}` },
    });
    assert.equal(listed.json().amount_refunded, '0');
  } finally {
    await p.close();
  }
});

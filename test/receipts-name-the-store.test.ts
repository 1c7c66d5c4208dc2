import { test } from 'node:test';
import assert from 'node:assert/strict';
import { auth } from './helpers/identity-harness.ts';
import { fundWallet, idem, issueCode, payPlatform, registerPay, walletUser } from './helpers/payments-platform.ts';

// A receipt names the store the customer paid at, never its id (sto_…), and speaks the
// apps' language: Japanese first, then English, in the email, the SMS and the history.

test('payment receipts (email, SMS, wallet history) name the store, in Japanese and English', async () => {
  const p = await payPlatform();
  try {
    const u = await walletUser(p, 1);
    await fundWallet(p, u, 5000);
    const paid = await registerPay(p, await issueCode(p, u), 1200);
    assert.equal(paid.statusCode, 200, paid.body);
    const storeId = p.merchant.store!.id;
    const storeName = 'Yamada Shoten Shibuya';

    const mail = (await p.mailbox(u.email)).find((m) => /¥1,200/.test(m.subject));
    assert.ok(mail, 'the payment receipt was mailed');
    assert.equal(mail.subject, '【Kinko】お支払い ¥1,200 / Kinko payment ¥1,200');
    assert.ok(mail.text.startsWith(`${storeName} で ¥1,200 をお支払いいただきました`), mail.text);
    assert.match(mail.text, new RegExp(`You paid ¥1,200 at ${storeName}`));
    assert.equal((mail.text.match(/#token=/g) ?? []).length, 1, 'one freeze link');
    assert.ok(!mail.text.includes(storeId), 'no store id');
    const sms = (await p.mailbox(u.phone)).find((m) => /¥1,200/.test(m.subject));
    assert.ok(sms, 'the payment receipt was texted');
    assert.ok(sms.text.startsWith(`【Kinko】${storeName} で ¥1,200`), sms.text);
    assert.ok(!sms.text.includes(storeId));
    const topup = (await p.mailbox(u.email)).find((m) => /チャージ/.test(m.subject));
    assert.match(topup?.text ?? '', /ウォレットに ¥5,000 をチャージしました/);

    const history = await p.app.inject({ method: 'GET', url: '/v1/wallet/history', headers: auth(u.token) });
    const item = history.json().data.find((i: { type: string }) => i.type === 'payment');
    assert.equal(item.store_id, storeId);
    assert.equal(item.store_name, storeName);
    assert.equal(item.receipt.text, `お支払い ¥1,200（${storeName}）`);
  } finally {
    await p.close();
  }
});

test('refund receipts (email, SMS, wallet history) name the store the payment was made at', async () => {
  const p = await payPlatform();
  try {
    const u = await walletUser(p, 1);
    await fundWallet(p, u, 5000);
    const paid = await registerPay(p, await issueCode(p, u), 1200);
    assert.equal(paid.statusCode, 200, paid.body);
    const paymentId = paid.json().id as string;
    const refund = await p.app.inject({
      method: 'POST',
      url: `/v1/code_payments/${paymentId}/refunds`,
      headers: { authorization: `Bearer ${p.merchant.secretKey}`, ...idem() },
      payload: { amount: 300 },
    });
    assert.equal(refund.json().status, 'succeeded', refund.body);
    const storeId = p.merchant.store!.id;
    const storeName = 'Yamada Shoten Shibuya';

    const mail = (await p.mailbox(u.email)).find((m) => /返金/.test(m.subject));
    assert.ok(mail, 'the refund receipt was mailed');
    assert.equal(mail.subject, '【Kinko】返金 ¥300 / Kinko refund ¥300');
    assert.ok(mail.text.startsWith(`${storeName} でのお支払いについて ¥300 が返金されました`), mail.text);
    assert.match(mail.text, new RegExp(`You were refunded ¥300 for your payment at ${storeName}`));
    for (const id of [storeId, paymentId]) assert.ok(!mail.text.includes(id), `no ${id}`);
    const sms = (await p.mailbox(u.phone)).find((m) => /返金/.test(m.subject));
    assert.ok(sms, 'the refund receipt was texted');
    assert.ok(sms.text.startsWith(`【Kinko】${storeName} でのお支払いについて ¥300`), sms.text);
    for (const id of [storeId, paymentId]) assert.ok(!sms.text.includes(id), `no ${id}`);

    const history = await p.app.inject({ method: 'GET', url: '/v1/wallet/history', headers: auth(u.token) });
    const item = history.json().data.find((i: { type: string }) => i.type === 'refund');
    assert.equal(item.payment_id, paymentId);
    assert.equal(item.store_name, storeName);
    assert.equal(item.receipt.text, `返金 ¥300（${storeName}）`);
  } finally {
    await p.close();
  }
});

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { auth } from './helpers/identity-harness.ts';
import { fundWallet, issueCode, payPlatform, registerPay, walletUser } from './helpers/payments-platform.ts';

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

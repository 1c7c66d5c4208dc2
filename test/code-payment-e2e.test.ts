import { test } from 'node:test';
import assert from 'node:assert/strict';
import { auth } from './helpers/identity-harness.ts';
import { startReceiver } from './helpers/webhook-receiver.ts';
import {
  balanceOf,
  fundWallet,
  idem,
  issueCode,
  payPlatform,
  registerPay,
  walletPost,
  walletUser,
} from './helpers/payments-platform.ts';
import { crc16Hex } from '../src/codes/index.ts';
import { accountIdFor } from '../src/payments/index.ts';

// The whole path through HTTP: sign up → bind device → step up → link a card → top up →
// issue a code → the register pays → the merchant's receiver verifies the webhook with its
// own HMAC code → partial refunds; the customer gets notices with a freeze link; the ledger
// balances and every account holds what the story says.

test('code payment end to end: top-up, register payment, signed webhook, partial refunds', async () => {
  const p = await payPlatform();
  const receiver = await startReceiver();
  try {
    const sk = { authorization: `Bearer ${p.merchant.secretKey}` };
    const endpoint = await p.app.inject({
      method: 'POST',
      url: '/v1/webhook_endpoints',
      headers: { ...sk, ...idem() },
      payload: {
        url: receiver.url,
        event_types: ['code_payment.succeeded', 'code_payment.refunded'],
      },
    });
    assert.equal(endpoint.statusCode, 201, endpoint.body);
    receiver.secrets.push(endpoint.json().secret as string);

    const u = await walletUser(p, 1);
    await fundWallet(p, u, 10_000);
    const code = await issueCode(p, u);
    assert.match(code, /^58\d{20}$/);

    const paid = await registerPay(p, code, 1200);
    assert.equal(paid.statusCode, 200, p.logs.text().slice(-2000));
    const payment = paid.json();
    assert.equal(payment.status, 'succeeded');
    assert.equal(payment.amount, '1200');
    assert.equal(payment.receipt.number, payment.id);
    assert.equal(await balanceOf(p, u), '8800');
    // The payment and its ledger transfer are both in the audit trail, and it verifies.
    const [row] = await p.db.sql<{ transfer_id: string }[]>`
      select transfer_id from payments_payments where id = ${payment.id}`;
    const transferId = row!.transfer_id;
    // The transfer is audited by its batch's entry (the Merkle root over the batch).
    const [batch] = await p.db.sql<{ batch_id: string }[]>`
      select batch_id::text from ledger_transfers where id = ${transferId}`;
    for (const [type, id, action] of [
      ['payment', payment.id, 'payments.code_payment.succeeded'],
      ['ledger_batch', batch!.batch_id, 'ledger.batch.created'],
    ]) {
      const found = await p.modules.audit.listEntries({
        subjectType: type,
        subjectId: id,
        limit: 5,
      });
      assert.deepEqual(
        found.map((e) => e.action),
        [action],
      );
    }
    assert.equal((await p.modules.audit.verify()).ok, true);

    // Webhook: fanned out and delivered by the webhooks module, verified by the receiver.
    await p.payments.sendReceiptsOnce();
    await p.modules.webhooks.runOnce();
    await p.modules.webhooks.runOnce();
    const hook = receiver.received.find(
      (r) => JSON.parse(r.body).type === 'code_payment.succeeded',
    );
    assert.ok(hook, 'the merchant got code_payment.succeeded');
    assert.equal(hook.verifiedWith.length, 1, 'its signature verifies with the endpoint secret');
    assert.equal(JSON.parse(hook.body).data.object.id, payment.id);

    // Two partial refunds, then one too many.
    const refund = (amount: number) =>
      p.app.inject({
        method: 'POST',
        url: `/v1/code_payments/${payment.id}/refunds`,
        headers: { ...sk, ...idem() },
        payload: { amount },
      });
    assert.equal((await refund(200)).json().status, 'succeeded');
    assert.equal((await refund(300)).json().status, 'succeeded');
    const over = await refund(701);
    assert.equal(over.json().error.code, 'refund_exceeds_payment', over.body);
    assert.equal(await balanceOf(p, u), '9300');
    const got = await p.app.inject({
      method: 'GET',
      url: `/v1/code_payments/${payment.id}`,
      headers: sk,
    });
    assert.equal(got.json().amount_refunded, '500');
    assert.equal(got.json().refunds.data.length, 2);

    await p.payments.sendReceiptsOnce();
    // One payment's events go one at a time, in order: a pass per event.
    for (let pass = 0; pass < 3; pass++) await p.modules.webhooks.runOnce();
    const refunded = receiver.received.filter(
      (r) => JSON.parse(r.body).type === 'code_payment.refunded',
    );
    assert.equal(refunded.length, 2);
    assert.ok(refunded.every((r) => r.verifiedWith.length === 1));

    // Notices for the top-up, the payment and the refunds, each with a freeze link that works.
    const mail = await p.mailbox(u.email);
    for (const subject of [/top-up/, /payment ¥1,200/, /refund ¥200/, /refund ¥300/]) {
      assert.ok(
        mail.some((m) => subject.test(m.subject)),
        `notice ${subject}`,
      );
    }
    const notice = mail.find((m) => /payment/.test(m.subject))!;
    const token = /#token=([A-Za-z0-9_-]+)/.exec(notice.text)?.[1];
    assert.ok(token, 'the notice carries a "this was not me" link');
    assert.ok((await p.mailbox(u.phone)).some((m) => /Not you\? Freeze/.test(m.text)));

    // History with receipts, newest first, paged by cursor.
    const page1 = await p.app.inject({
      method: 'GET',
      url: '/v1/wallet/history?limit=2',
      headers: auth(u.token),
    });
    const h1 = page1.json();
    assert.equal(h1.data.length, 2);
    assert.equal(h1.has_more, true);
    const page2 = await p.app.inject({
      method: 'GET',
      url: `/v1/wallet/history?limit=10&cursor=${h1.next_cursor}`,
      headers: auth(u.token),
    });
    assert.equal(page2.statusCode, 200, page2.body);
    const kinds = [...h1.data, ...page2.json().data].map((i: { type: string }) => i.type);
    assert.deepEqual(kinds.sort(), ['payment', 'refund', 'refund', 'topup']);

    // The ledger balances; the merchant holds the payment less the refunds.
    const check = await p.modules.ledger.check();
    assert.equal(check.ok, true, JSON.stringify(check));
    const [merchant] = await p.modules.ledger.lookupAccounts([
      accountIdFor('merchant', p.merchant.merchantId, 'JPY'),
    ]);
    assert.equal(merchant!.creditsPosted - merchant!.debitsPosted, 700n);

    // "This was not me": the account freezes, and the wallet stops paying at once.
    const code2 = await issueCode(p, u);
    const freeze = await p.app.inject({
      method: 'POST',
      url: '/v1/identity/freeze',
      payload: { token },
    });
    assert.ok(freeze.statusCode < 300, freeze.body);
    const refused = await registerPay(p, code2, 100);
    assert.equal(refused.json().error.code, 'wallet_unavailable', refused.body);
  } finally {
    await receiver.close();
    await p.close();
  }
});

test('store QR (MPM): the merchant gets the payload, the wallet scans it and pays the store', async () => {
  const p = await payPlatform();
  try {
    const sk = { authorization: `Bearer ${p.merchant.secretKey}` };
    const qr = await p.app.inject({
      method: 'GET',
      url: `/v1/stores/${p.merchant.store!.id}/qr`,
      headers: sk,
    });
    assert.equal(qr.statusCode, 200, qr.body);
    assert.match(qr.json().qr_png, /^data:image\/png;base64,/);
    const u = await walletUser(p, 2);
    await fundWallet(p, u, 5000);
    const pay = await walletPost(p, u, '/v1/wallet/store_payments', 'payment_code', {
      payload: qr.json().payload,
      amount: 800,
    });
    assert.equal(pay.statusCode, 200, pay.body);
    assert.equal(pay.json().store_id, p.merchant.store!.id);
    assert.equal(await balanceOf(p, u), '4200');
    // Change the CRC's last digit to a different one (never the same digit it already was).
    const payload: string = qr.json().payload;
    const broken = payload.slice(0, -1) + (payload.endsWith('0') ? '1' : '0');
    const bad = await walletPost(p, u, '/v1/wallet/store_payments', 'payment_code', {
      payload: broken,
      amount: 800,
    });
    assert.equal(bad.json().error.code, 'store_payload_invalid', bad.body);
    // A well-formed payload (CRC recomputed) that asks for US dollars (ID 53 = 840).
    const usd = payload.slice(0, -4).replace('5303392', '5303840');
    const inDollars = await walletPost(p, u, '/v1/wallet/store_payments', 'payment_code', {
      payload: usd + crc16Hex(usd),
      amount: 800,
    });
    assert.equal(inDollars.statusCode, 400, inDollars.body);
    assert.equal(inDollars.json().error.reason, 'currency');
    const tooMuch = await walletPost(p, u, '/v1/wallet/store_payments', 'payment_code', {
      payload: qr.json().payload,
      amount: 5000,
    });
    assert.equal(tooMuch.json().error.code, 'insufficient_funds');
    // The payment's rows, receipt and audit entry go out before the ledger refuses the debit:
    // the refusal rolls them all back.
    const [left] = await p.db.sql<{ payments: number; movements: number; entries: number }[]>`
      select (select count(*)::int from payments_payments where amount_minor = 5000) as payments,
        (select count(*)::int from payments_balance_transactions where amount = 5000) as movements,
        (select count(*)::int from audit_entries
          where action = 'payments.store_payment.succeeded' and detail like '%"amount":"5000"%')
          as entries`;
    assert.deepEqual(left, { payments: 0, movements: 0, entries: 0 });
    assert.equal((await p.modules.ledger.check()).ok, true);
  } finally {
    await p.close();
  }
});

import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  balanceOf,
  fundWallet,
  idem,
  issueCode,
  payPlatform,
  walletPost,
  walletUser,
  type PayPlatform,
} from './helpers/payments-platform.ts';
import { accountIdFor } from '../src/payments/index.ts';
import { qrMakeCommand } from '../src/codes/index.ts';

// The attack: a merchant made with `kinko merchants create --mode test` holds only test keys,
// so the API never issues it a store QR; but anyone can make a store's payload by hand
// (`kinko qr make --merchant-id … --store-id …`). A customer paying it paid the test-mode
// merchant's store with real wallet money, which that merchant could neither see nor refund.
// A store QR of a test-mode merchant is now refused (400 store_test_mode) when the payload is
// resolved, and nothing moves. Its register was already refused (livemode_required).

const line = (lines: string[], label: string) => {
  const l = lines.find((x) => x.startsWith(label));
  assert.ok(l, `${label} printed`);
  return l.slice(label.length).trim().split(/\s+/)[0]!;
};

async function testModeMerchant(p: PayPlatform) {
  const out: string[] = [];
  const err: string[] = [];
  const args = ['--name', 'Sandbox Shoten', '--owner-email', 'owner@sandbox.example'];
  args.push('--mode', 'test', '--store', 'Sandbox Store', '--mcc', '5411');
  args.push('--city', 'Shibuya', '--postal-code', '150-0002');
  const code = await p.modules.merchants.createMerchantCommand(
    args,
    (l) => out.push(l),
    (l) => err.push(l),
  );
  assert.equal(code, 0, err.join('\n'));
  assert.match(line(out, 'secret key'), /^sk_test_/);
  return {
    merchantId: line(out, 'merchant'),
    storeId: line(out, 'store'),
    auth: `Terminal ${line(out, 'terminal ')}:${line(out, 'terminal secret')}`,
  };
}

/** `kinko qr make` for a store, as an operator or anyone with the ids would run it. */
function handMadeQr(merchantId: string, storeId: string, extra: string[] = []): string {
  const out: string[] = [];
  const err: string[] = [];
  const args = ['--merchant-id', merchantId, '--store-id', storeId, ...extra];
  args.push('--merchant-name', 'SANDBOX', '--city', 'SHIBUYA', '--mcc', '5411');
  args.push('--postal-code', '1500002');
  const code = qrMakeCommand(
    args,
    (l) => out.push(l),
    (l) => err.push(l),
  );
  assert.equal(code, 0, err.join('\n'));
  return out[0]!;
}

async function footprint(p: PayPlatform) {
  const [r] = await p.db.sql<Record<string, string>[]>`
    select (select count(*) from ledger_transfers)::text as transfers,
           (select count(*) from payments_payments)::text as payments,
           (select count(*) from payments_balance_transactions)::text as movements,
           (select count(*) from payments_codes where used_at is not null)::text as used`;
  return r;
}

test("a test-mode merchant's store QR and register take no live wallet money", async () => {
  const p = await payPlatform();
  try {
    const t = await testModeMerchant(p);
    const u = await walletUser(p, 3);
    await fundWallet(p, u, 5000);
    const merchantBalance = async (merchantId: string) => {
      const [a] = await p.modules.ledger.lookupAccounts([
        accountIdFor('merchant', merchantId, 'JPY'),
      ]);
      return a ? a.creditsPosted - a.debitsPosted : 0n;
    };
    const before = await footprint(p);

    // The store QR, made by hand, static and dynamic: refused where the payload is resolved.
    for (const extra of [[], ['--amount', '1000']]) {
      const payload = handMadeQr(t.merchantId, t.storeId, extra);
      const body = { payload, amount: 1000 };
      const pay = await walletPost(p, u, '/v1/wallet/store_payments', 'payment_code', body);
      assert.equal(pay.statusCode, 400, pay.body);
      const error = pay.json().error;
      assert.equal(error.code, 'store_test_mode');
      assert.equal(error.param, 'payload');
      assert.match(error.message, /test mode/);
    }

    // The register path: the test-mode merchant's terminal charging the same wallet's code.
    const code = await issueCode(p, u);
    const reg = await p.app.inject({
      method: 'POST',
      url: '/v1/code_payments',
      headers: { authorization: t.auth, ...idem() },
      payload: { code, amount: 1000, store_id: t.storeId },
    });
    assert.equal(reg.statusCode, 400, reg.body);
    assert.equal(reg.json().error.code, 'livemode_required');

    assert.deepEqual(await footprint(p), before, 'no transfer, payment or movement recorded');
    assert.equal(await balanceOf(p, u), '5000', 'the wallet kept its money');
    assert.equal(await merchantBalance(t.merchantId), 0n, 'the test merchant got nothing');

    // A live merchant's hand-made QR is still paid as before.
    const live = handMadeQr(p.merchant.merchantId, p.merchant.store!.id);
    const paid = await walletPost(p, u, '/v1/wallet/store_payments', 'payment_code', {
      payload: live,
      amount: 1000,
    });
    assert.equal(paid.statusCode, 200, paid.body);
    assert.equal(await balanceOf(p, u), '4000');
    assert.equal(await merchantBalance(p.merchant.merchantId), 1000n);
  } finally {
    await p.close();
  }
});

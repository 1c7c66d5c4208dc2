import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  balanceOf,
  fundWallet,
  idem,
  issueCode,
  payPlatform,
  walletUser,
  type PayPlatform,
} from './helpers/payments-platform.ts';

// A register signed in with its own credentials (`Authorization: Terminal id:secret`) sent a
// body `terminal_id` naming another terminal — another merchant's, or another of its own — and
// the field was silently ignored: the payment was taken as the signed-in terminal's while the
// request claimed another. It is now refused (400 terminal_id_mismatch, param terminal_id)
// before the code is read; the register's own id, or none, is accepted as before.

async function footprint(p: PayPlatform) {
  const [r] = await p.db.sql<Record<string, string>[]>`
    select (select count(*) from ledger_transfers)::text as transfers,
           (select count(*) from payments_payments)::text as payments,
           (select coalesce(sum(failures), 0) from payments_guess_counters)::text as guesses,
           (select count(*) from payments_idempotency)::text as idempotency,
           (select count(*) from payments_codes where used_at is not null)::text as used`;
  return r;
}

test('terminal credentials with another terminal_id are refused, naming the field', async () => {
  const p = await payPlatform();
  try {
    const other = await p.modules.merchants.createMerchant(
      {
        name: 'Suzuki Ya',
        mode: 'live',
        store: { name: 'Suzuki Ya Ueno', mcc: '5411', city: 'Taito', postalCode: '110-0005' },
      },
      { type: 'cli' },
    );
    const sibling = await p.modules.merchants.createTerminal(
      p.merchant.merchantId,
      { storeId: p.merchant.store!.id, name: 'Register 2' },
      { type: 'cli' },
    );
    const u = await walletUser(p, 5);
    await fundWallet(p, u, 5000);
    const code = await issueCode(p, u);
    const pay = (terminalId?: string) =>
      p.app.inject({
        method: 'POST',
        url: '/v1/code_payments',
        headers: { authorization: p.merchant.terminalAuth, ...idem() },
        payload: {
          code,
          amount: 1000,
          store_id: p.merchant.store!.id,
          ...(terminalId === undefined ? {} : { terminal_id: terminalId }),
        },
      });

    const before = await footprint(p);
    for (const named of [other.terminal!.id, sibling.terminal.id, 'term_nosuchterminal0000']) {
      const res = await pay(named);
      assert.equal(res.statusCode, 400, res.body);
      const error = res.json().error;
      assert.equal(error.code, 'terminal_id_mismatch');
      assert.equal(error.param, 'terminal_id');
      assert.match(error.message, /terminal_id/);
    }
    assert.deepEqual(await footprint(p), before, 'nothing charged, counted or kept');
    assert.equal(await balanceOf(p, u), '5000');

    // The register's own id is accepted (and so is none).
    const own = await pay(p.merchant.terminal!.id);
    assert.equal(own.statusCode, 200, own.body);
    assert.equal(own.json().terminal_id, p.merchant.terminal!.id);
    assert.equal(await balanceOf(p, u), '4000');
  } finally {
    await p.close();
  }
});

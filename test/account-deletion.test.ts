import { test } from 'node:test';
import assert from 'node:assert/strict';
import { accountIdFor } from '../src/payments/index.ts';
import { auth, signUp } from './helpers/identity-harness.ts';
import {
  balanceOf,
  fundWallet,
  hostedCardToken,
  issueCode,
  payPlatform,
  registerPay,
  walletPost,
  walletUser,
  type PayPlatform,
} from './helpers/payments-platform.ts';

// Deleting an account: refused while money remains or without a step-up and a device proof;
// otherwise the cards are shredded, the customer can no longer sign in (like an unknown
// account), sessions end, the email is free again, and the ledger and audit trail keep the id.

const DELETE_URL = '/v1/wallet/account/delete';

const login = (p: PayPlatform, identifier: string, password: string) =>
  p.app.inject({ method: 'POST', url: '/v1/identity/login', payload: { identifier, password } });

test('a deleted account is gone for its owner and kept, by id only, in the records', async () => {
  const p = await payPlatform();
  try {
    const u = await walletUser(p, 1);
    const { token: card } = await fundWallet(p, u, 1200);
    const paid = await registerPay(p, await issueCode(p, u), 1200);
    assert.equal(paid.statusCode, 200, paid.body);
    assert.equal(await balanceOf(p, u), '0');
    const res = await walletPost(p, u, DELETE_URL, 'account_delete', {}, {});
    assert.equal(res.statusCode, 200, res.body);
    assert.deepEqual(res.json(), { deleted: true, cards_shredded: 1 });
    const goodbye = (await p.mailbox(u.email)).map((m) => m.subject);
    assert.ok(goodbye.some((s) => s.includes('Your Kinko account was deleted')), goodbye.join(', '));

    const gone = await login(p, u.email, u.password);
    const unknown = await login(p, 'nobody@example.com', u.password);
    assert.equal(gone.statusCode, 401);
    assert.deepEqual(gone.json().error.code, unknown.json().error.code);
    assert.deepEqual(gone.json().error.message, unknown.json().error.message);
    const old = await p.app.inject({ method: 'GET', url: '/v1/wallet', headers: auth(u.token) });
    assert.equal(old.statusCode, 401, 'the old session no longer works');

    const [shred] = await p.db.sql<{ ciphertext: Buffer | null; wrapped_key: Buffer | null }[]>`
      select ciphertext, wrapped_key from vault_cards where token = ${card}`;
    assert.equal(shred?.ciphertext, null, 'the card cannot be decrypted any more');
    assert.equal(shred?.wrapped_key, null);
    const [person] = await p.db.sql<{ email: string; password_hash: string | null }[]>`
      select email, password_hash from identity_customers where id = ${u.customerId}`;
    assert.notEqual(person?.email, u.email);
    assert.equal(person?.password_hash, null);

    const actions = await p.db.sql<{ action: string }[]>`
      select action from audit_entries where subject_id = ${u.customerId} order by id`;
    const names = actions.map((a) => a.action);
    assert.ok(names.includes('identity.customer.deleted'), names.join(', '));
    assert.ok(names.includes('payments.account.deleted'), names.join(', '));
    const wallet = accountIdFor('customer_wallet', u.customerId, 'JPY');
    const [account] = await p.modules.ledger.lookupAccounts([wallet]);
    assert.equal(account?.creditsPosted, 1200n, 'the ledger keeps the account and its history');
    const check = await p.modules.ledger.check();
    assert.equal(check.ok, true, JSON.stringify(check));

    const again = await signUp(p, 1);
    assert.equal(again.email, u.email);
    assert.notEqual(again.customerId, u.customerId, 'the email signs up as a new customer');
  } finally {
    await p.close();
  }
});

test('deletion is refused while the wallet holds money, and says how much', async () => {
  const p = await payPlatform();
  try {
    const u = await walletUser(p, 2);
    await fundWallet(p, u, 700);
    const res = await walletPost(p, u, DELETE_URL, 'account_delete', {}, {});
    assert.equal(res.statusCode, 409, res.body);
    assert.equal(res.json().error.code, 'wallet_balance_not_zero');
    assert.equal(res.json().error.balance, '700');
    assert.equal(res.json().error.currency, 'JPY');
    assert.equal((await login(p, u.email, u.password)).statusCode, 200, 'the account lives on');
  } finally {
    await p.close();
  }
});

test('deletion needs a device proof and a recent step-up', async () => {
  const p = await payPlatform();
  try {
    const u = await walletUser(p, 3);
    const bare = await p.app.inject({
      method: 'POST',
      url: DELETE_URL,
      headers: auth(u.token),
      payload: {},
    });
    assert.equal(bare.json().error.code, 'device_proof_invalid', bare.body);
    p.clock.advanceMs((p.limits.identity.stepUpSecondsMax + 1) * 1000);
    const stale = await walletPost(p, u, DELETE_URL, 'account_delete', {}, {});
    assert.equal(stale.json().error.code, 'step_up_required', stale.body);
    assert.equal(await balanceOf(p, u), '0', 'the session still works: nothing was deleted');
    assert.equal((await login(p, u.email, u.password)).statusCode, 200);
  } finally {
    await p.close();
  }
});

test('deletion is refused while a top-up is unfinished', async () => {
  const p = await payPlatform();
  try {
    const u = await walletUser(p, 4);
    const card = await hostedCardToken(p, '4000000000003220');
    await walletPost(p, u, '/v1/wallet/cards', 'card_link', { card_token: card });
    const topup = await walletPost(p, u, '/v1/wallet/topups', 'topup', {
      amount: 3000,
      card_token: card,
    });
    assert.equal(topup.json().status, 'requires_action', topup.body);
    const res = await walletPost(p, u, DELETE_URL, 'account_delete', {}, {});
    assert.equal(res.statusCode, 409, res.body);
    assert.equal(res.json().error.code, 'wallet_activity_processing');
    const [row] = await p.db.sql<{ ciphertext: Buffer | null }[]>`
      select ciphertext from vault_cards where token = ${card}`;
    assert.notEqual(row?.ciphertext, null, 'nothing was shredded');
  } finally {
    await p.close();
  }
});

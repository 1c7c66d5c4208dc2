import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  hostedCardToken,
  payPlatform,
  walletPost,
  walletUser,
} from './helpers/payments-platform.ts';

// A top-up charges only a card linked to the caller's own wallet. The link is read in the
// top-up's transaction, under the customer's lock, before anything is written: another
// customer's card token, a token never linked, or one the vault does not know is refused
// with card_not_linked, and nothing is recorded or charged.

test("a top-up with another customer's card token is refused and charges nothing", async () => {
  const p = await payPlatform();
  try {
    const owner = await walletUser(p, 1);
    const thief = await walletUser(p, 2);
    const card = await hostedCardToken(p, '4242424242424242');
    const link = await walletPost(p, owner, '/v1/wallet/cards', 'card_link', { card_token: card });
    assert.equal(link.statusCode, 200, link.body);
    const unlinked = await hostedCardToken(p, '4242424242424242');
    const count = async (table: 'payments_topups' | 'acquirer_authorizations') => {
      const [row] = await p.db.sql<
        { n: number }[]
      >`select count(*)::int as n from ${p.db.sql(table)}`;
      return row?.n ?? 0;
    };
    const before = [await count('payments_topups'), await count('acquirer_authorizations')];
    for (const token of [card, unlinked, 'card_unknown_token_0000000000']) {
      const res = await walletPost(p, thief, '/v1/wallet/topups', 'topup', {
        amount: 1000,
        card_token: token,
      });
      assert.equal(res.json().error?.code, 'card_not_linked', `${token}: ${res.body}`);
    }
    assert.deepEqual(
      [await count('payments_topups'), await count('acquirer_authorizations')],
      before,
    );
    // The owner's own top-up with it goes through.
    const own = await walletPost(p, owner, '/v1/wallet/topups', 'topup', {
      amount: 1000,
      card_token: card,
    });
    assert.equal(own.json().status, 'succeeded', own.body);
  } finally {
    await p.close();
  }
});

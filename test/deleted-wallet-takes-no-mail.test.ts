import { test } from 'node:test';
import assert from 'node:assert/strict';
import { paidThenDeleted, payPlatform } from './helpers/payments-platform.ts';

// A deleted account's contacts are erased: its email and phone become a tombstone,
// "deleted:<id>". Receipts of its last payment, handled after the deletion, were addressed to
// that tombstone, each with a freeze link minted for an account that no longer exists (with
// a mail server, a refusal per message). A deleted customer gets no message at all.

test('receipts handled after an account was deleted are not sent to its tombstone', async () => {
  const p = await payPlatform();
  try {
    const { u } = await paidThenDeleted(p, 1200);
    // The top-up's and the payment's receipts go out now, after the deletion.
    const tombstone = await p.mailbox(`deleted:${u.customerId}`);
    assert.deepEqual(
      tombstone.map((m) => m.subject),
      [],
      'nothing is sent to an erased contact',
    );
    const links = await p.db.sql<{ n: number }[]>`
      select count(*)::int as n from identity_freeze_tokens
      where customer_id = ${u.customerId} and used_at is null`;
    assert.equal(links[0]?.n, 0, 'no live freeze link for a deleted account');
  } finally {
    await p.close();
  }
});

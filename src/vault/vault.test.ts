import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import { KinkoError } from '../lib/errors.ts';
import { cardPlatform } from '../../test/helpers/cards.ts';

const actor = { type: 'customer' as const, id: 'cus_1' };

test('tokenize stores only display data in the clear; the token is card_…', async (t) => {
  const p = await cardPlatform();
  t.after(() => p.close());
  const card = await p.vault.tokenize({
    number: '4242 4242 4242 4242',
    expMonth: 12,
    expYear: 2030,
    actor,
  });
  assert.match(card.token, /^card_[A-Za-z0-9_-]{22,}$/);
  assert.deepEqual([card.brand, card.bin, card.last4], ['visa', '424242', '4242']);
  const [row] = await p.db.sql`select * from vault_cards where token = ${card.token}`;
  assert.equal(row!['kek_version'], 1);
  assert.equal((row!['wrapped_key'] as Buffer).length, 60);
  assert.equal((row!['fingerprint'] as Buffer).length, 32);
  // The vault's own entries (the merchant's creation is the merchants module's).
  const audit = await p.db.sql`
    select action, detail from audit_entries where action like 'vault.%' order by id`;
  assert.deepEqual(
    audit.map((a) => a['action']),
    ['vault.card.tokenized'],
  );
});

test('invalid input names the field, stores nothing, and never echoes the number', async (t) => {
  const p = await cardPlatform();
  t.after(() => p.close());
  const cases: Array<[Parameters<typeof p.vault.tokenize>[0], string, string]> = [
    [
      { number: '4242424242424241', expMonth: 12, expYear: 2030, actor },
      'card_number_invalid',
      'number',
    ],
    [
      { number: '9999999999999995', expMonth: 12, expYear: 2030, actor },
      'card_brand_unsupported',
      'number',
    ],
    [
      { number: '4242424242424242', expMonth: 13, expYear: 2030, actor },
      'card_expiry_invalid',
      'exp_month',
    ],
    [
      { number: '4242424242424242', expMonth: 12, expYear: 2025, actor },
      'card_expired',
      'exp_year',
    ],
    [
      { number: '4242424242424242', expMonth: 12, expYear: 2030, cvc: '12', actor },
      'card_cvc_invalid',
      'cvc',
    ],
  ];
  for (const [input, code, param] of cases) {
    await assert.rejects(p.vault.tokenize(input), (e: unknown) => {
      assert.ok(e instanceof KinkoError);
      assert.equal(e.code, code);
      assert.equal(e.param, param);
      assert.doesNotMatch(e.message, /\d{6,}/);
      return true;
    });
  }
  const [{ n }] = (await p.db.sql`select count(*)::int as n from vault_cards`) as unknown as [
    { n: number },
  ];
  assert.equal(n, 0);
});

test('the same card under two tokens is found by its keyed fingerprint', async (t) => {
  const p = await cardPlatform();
  t.after(() => p.close());
  const a = await p.vault.tokenize({
    number: '5555555555554444',
    expMonth: 1,
    expYear: 2031,
    actor,
  });
  const b = await p.vault.tokenize({
    number: '5555555555554444',
    expMonth: 1,
    expYear: 2031,
    actor: { type: 'customer', id: 'cus_2' },
  });
  const c = await p.vault.tokenize({
    number: '4242424242424242',
    expMonth: 1,
    expYear: 2031,
    actor,
  });
  assert.deepEqual(
    (await p.vault.sameCardAs(a.token)).map((x) => x.token),
    [b.token],
  );
  assert.deepEqual(await p.vault.sameCardAs(c.token), []);
});

test('each decryption is for the card network, with an audit entry and its purpose', async (t) => {
  const p = await cardPlatform();
  t.after(() => p.close());
  const card = await p.vault.tokenize({
    number: '4242424242424242',
    expMonth: 12,
    expYear: 2030,
    actor,
  });
  const authz = await p.vault.authorize({
    token: card.token,
    cvc: '123',
    amountMinor: 1200n,
    currency: 'JPY',
    attemptId: 'pay_1',
    idempotencyKey: 'k1',
    challenge: { notifyOrigin: p.publicOrigin, frameOrigins: [] },
    actor,
  });
  assert.equal(authz.status, 'authorized');
  assert.equal(authz.threeDs, 'frictionless');
  const rows = await p.db
    .sql`select detail from audit_entries where action = 'vault.card.decrypted'`;
  assert.equal(rows.length, 1);
  const detail = JSON.parse(rows[0]!['detail'] as string) as Record<string, unknown>;
  assert.equal(detail['purpose'], 'authorize');
  assert.equal(detail['attempt_id'], 'pay_1');
});

test('a ciphertext moved onto another card does not decrypt (token is the AAD)', async (t) => {
  const p = await cardPlatform();
  t.after(() => p.close());
  const a = await p.vault.tokenize({
    number: '4242424242424242',
    expMonth: 12,
    expYear: 2030,
    actor,
  });
  const b = await p.vault.tokenize({
    number: '5555555555554444',
    expMonth: 12,
    expYear: 2030,
    actor,
  });
  await p.db.sql`
    update vault_cards
    set ciphertext = (select ciphertext from vault_cards where token = ${a.token}),
        wrapped_key = (select wrapped_key from vault_cards where token = ${a.token})
    where token = ${b.token}`;
  await assert.rejects(
    p.vault.authorize({
      token: b.token,
      amountMinor: 100n,
      currency: 'JPY',
      attemptId: 'x',
      idempotencyKey: 'x',
      challenge: { notifyOrigin: p.publicOrigin, frameOrigins: [] },
      actor,
    }),
  );
});

test('deleting a customer’s cards destroys their data keys (crypto-shredding)', async (t) => {
  const p = await cardPlatform();
  t.after(() => p.close());
  const a = await p.vault.tokenize({
    number: '4242424242424242',
    expMonth: 12,
    expYear: 2030,
    customerId: 'cus_9',
    actor,
  });
  const b = await p.vault.tokenize({
    number: '3566002020360505',
    expMonth: 12,
    expYear: 2030,
    customerId: 'cus_9',
    actor,
  });
  const other = await p.vault.tokenize({
    number: '4242424242424242',
    expMonth: 12,
    expYear: 2030,
    customerId: 'cus_8',
    actor,
  });
  const gone = await p.vault.deleteCards({ customerId: 'cus_9' }, actor);
  assert.deepEqual(gone.sort(), [a.token, b.token].sort());
  const rows = await p.db
    .sql`select token, wrapped_key, ciphertext, deleted_at from vault_cards order by token`;
  for (const r of rows) {
    const shredded = r['token'] !== other.token;
    assert.equal(r['wrapped_key'] === null, shredded);
    assert.equal(r['ciphertext'] === null, shredded);
  }
  await assert.rejects(
    p.vault.authorize({
      token: a.token,
      amountMinor: 1n,
      currency: 'JPY',
      attemptId: 'a',
      idempotencyKey: 'a',
      challenge: { notifyOrigin: p.publicOrigin, frameOrigins: [] },
      actor,
    }),
    (e: unknown) => e instanceof KinkoError && e.code === 'card_deleted',
  );
  assert.equal((await p.vault.getCard(a.token)).deleted, true);
  assert.ok(fs.existsSync(p.keyFile));
});

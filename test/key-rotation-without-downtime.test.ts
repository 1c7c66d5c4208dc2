import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import { keysRotateCommand } from '../src/vault/index.ts';
import { cardPlatform } from './helpers/cards.ts';

// `kinko keys rotate`: a new key-encryption key, every data key re-wrapped in batches while
// cards stay usable, the old version destroyed only when no data key needs it.

const actor = { type: 'customer' as const, id: 'cus_1' };

test('rotation re-wraps every data key in batches; cards work before, during and after', async (t) => {
  const p = await cardPlatform({ limits: { vaultRewrapBatchSizeMax: 3 } });
  t.after(() => p.close());
  const tokens: string[] = [];
  for (let i = 0; i < 8; i++) {
    tokens.push(
      (await p.vault.tokenize({ number: '4242424242424242', expMonth: 12, expYear: 2030, actor }))
        .token,
    );
  }
  const before = await p.db.sql`select token, ciphertext from vault_cards order by token`;
  const pay = (token: string, key: string) =>
    p.vault.authorize({
      token,
      amountMinor: 100n,
      currency: 'JPY',
      attemptId: key,
      idempotencyKey: key,
      challenge: { notifyOrigin: p.publicOrigin, frameOrigins: [] },
      actor,
    });
  // A card used concurrently with the rotation still authorizes (no downtime).
  const [rotated, during] = await Promise.all([p.vault.rotateKeys(), pay(tokens[0]!, 'during')]);
  assert.equal(during.status, 'authorized');
  assert.equal(rotated.newVersion, 2);
  assert.equal(rotated.rewrapped, 8);
  assert.deepEqual(rotated.retired, [1]);
  assert.deepEqual(rotated.remaining, []);
  const versions = await p.db.sql`select distinct kek_version from vault_cards`;
  assert.deepEqual(
    versions.map((v) => v['kek_version']),
    [2],
  );
  // Data keys were re-wrapped, not re-encrypted: the card ciphertext did not change.
  const after = await p.db.sql`select token, ciphertext from vault_cards order by token`;
  assert.deepEqual(
    after.map((r) => r['ciphertext']),
    before.map((r) => r['ciphertext']),
  );
  for (const [i, token] of tokens.entries())
    assert.equal((await pay(token, `after${i}`)).status, 'authorized');
  const keyFile = JSON.parse(fs.readFileSync(p.keyFile, 'utf8')) as {
    current: number;
    keks: object;
  };
  assert.equal(keyFile.current, 2);
  assert.deepEqual(Object.keys(keyFile.keks), ['2']);
  const batches = await p.db
    .sql`select count(*)::int as n from audit_entries where action = 'vault.keys.rewrapped'`;
  assert.equal(batches[0]!['n'], 3, '8 cards in batches of 3');
  const lines: string[] = [];
  assert.equal(
    await keysRotateCommand(p.vault, { out: (l) => lines.push(l), err: (l) => lines.push(l) }),
    0,
  );
  assert.match(lines.join('\n'), /KEK version 3 is current; 8 data key\(s\) re-wrapped/);
});

test('a version still in use is kept: rotation never destroys a key a card needs', async (t) => {
  const p = await cardPlatform();
  t.after(() => p.close());
  const card = await p.vault.tokenize({
    number: '4242424242424242',
    expMonth: 12,
    expYear: 2030,
    actor,
  });
  // Hold the card's row lock so the re-wrap skips it, as a concurrent long transaction would.
  let release!: () => void;
  const held = new Promise<void>((r) => (release = r));
  let locked!: () => void;
  const isLocked = new Promise<void>((r) => (locked = r));
  const holder = p.db.sql.begin(async (tx) => {
    await tx`select 1 from vault_cards where token = ${card.token} for update`;
    locked();
    await held;
  });
  await isLocked;
  const r = await p.vault.rotateKeys();
  release();
  await holder;
  assert.deepEqual(r.retired, []);
  assert.deepEqual(r.remaining, [{ version: 1, cards: 1 }]);
  const again = await p.vault.rotateKeys();
  assert.deepEqual(again.retired.sort(), [1, 2]);
  assert.deepEqual(again.remaining, []);
});

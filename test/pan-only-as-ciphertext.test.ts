import { test } from 'node:test';
import assert from 'node:assert/strict';
import { cardPlatform, dumpDatabase } from './helpers/cards.ts';
import { CANARY_PANS, runEveryCardFlow } from './helpers/card-flows.ts';

// GMO-PG 2017 again: card numbers read straight from a database. After every card flow the
// full numbers appear nowhere in the clear — not in the database (in any spelling: digits,
// spaced, dashed, hex or base64 of the text), not in logs, the outbox or responses — and the
// vault's ciphertext does hold them (it decrypts, with the key file, to the number).

function spellings(pan: string): string[] {
  const groups = pan.length === 16 ? pan.match(/.{4}/g)!.join(' ') : pan;
  return [
    pan,
    groups,
    groups.replace(/ /g, '-'),
    Buffer.from(pan).toString('hex'),
    Buffer.from(pan).toString('base64').replace(/=+$/, ''),
  ];
}

test('full card numbers exist only as vault ciphertext', async (t) => {
  const p = await cardPlatform();
  t.after(() => p.close());
  const responses = (await runEveryCardFlow(p)).join('\n');
  const dump = await dumpDatabase(p.db);
  const logs = p.logs.text();
  const outbox = (await p.db.sql`select payload::text as t from outbox_events`)
    .map((r) => r['t'])
    .join('\n');
  for (const pan of CANARY_PANS) {
    for (const s of spellings(pan)) {
      for (const [name, text] of Object.entries({ dump, logs, outbox, responses })) {
        assert.ok(!text.includes(s), `${pan} found in ${name} as ${s}`);
      }
    }
  }
  const scan = await p.vault.scan();
  assert.equal(scan.findingCount, 0, JSON.stringify(scan.findings));
});

test('display data is BIN and last four; the rest is sealed', async (t) => {
  const p = await cardPlatform();
  t.after(() => p.close());
  await runEveryCardFlow(p);
  const rows = await p.db
    .sql`select bin, last4, ciphertext from vault_cards where deleted_at is null`;
  assert.ok(rows.length >= 3);
  for (const r of rows) {
    assert.match(String(r['bin']), /^\d{6}$/);
    assert.match(String(r['last4']), /^\d{4}$/);
    assert.ok(
      !(r['ciphertext'] as Buffer).toString('latin1').match(/\d{6}/),
      'no digits in the clear',
    );
  }
});

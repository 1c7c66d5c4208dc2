import { test } from 'node:test';
import assert from 'node:assert/strict';
import { findPans, vaultScanCommand } from '../src/vault/index.ts';
import { cardPlatform } from './helpers/cards.ts';

// GMO-PG 2017: the operator did not know where card data was. `kinko vault scan` searches
// every table for card numbers outside the vault's ciphertext, says where, opens an incident
// and exits non-zero.

test('card numbers (lib/card-numbers.ts) are found and masked; ids and tokens are not', () => {
  assert.deepEqual(findPans('note: 4242 4242 4242 4242.'), ['424242••••••4242']);
  assert.deepEqual(findPans('x:4111-1111-1111-1111'), ['411111••••••1111']);
  // Inside a longer token (a UUID, an id) a digit run is no card.
  assert.deepEqual(findPans('x4111-1111-1111-1111'), []);
  assert.deepEqual(findPans('fc845004-91f7-4be7-9c54-991809612034'), []);
  assert.deepEqual(findPans('378282246310005'), ['378282•••••0005']);
  assert.deepEqual(findPans('order 1234567812345678, tel 0312345678'), []);
  assert.deepEqual(findPans('12345678901234567890123'), []);
});

test('a clean database scans clean', async (t) => {
  const p = await cardPlatform();
  t.after(() => p.close());
  await p.vault.tokenize({
    number: '4242424242424242',
    expMonth: 12,
    expYear: 2030,
    actor: { type: 'customer', id: 'c' },
  });
  const r = await p.vault.scan();
  assert.equal(r.ok, true);
  assert.equal(r.exitCode, 0);
  assert.ok(r.columnsScanned > 20);
});

test('card numbers planted in other tables are found, reported and open an incident', async (t) => {
  const p = await cardPlatform();
  t.after(() => p.close());
  // A careless module's table, a JSON payload, and a byte column.
  await p.db
    .owner`create table notes_careless (id serial primary key, body text, extra jsonb, raw bytea)`;
  await p.db
    .sql`insert into notes_careless (body) values ('customer said 4242 4242 4242 4242 works')`;
  await p.db
    .sql`insert into notes_careless (extra) values (${p.db.sql.json({ card: '5555-5555-5555-4444' })})`;
  await p.db.sql`insert into notes_careless (raw) values (${Buffer.from('pan=3566002020360505;')})`;
  await p.db.sql`insert into notes_careless (body) values ('invoice 1234567812345678')`;
  // After a newline: an escape in JSON text, a control byte in bytes. Neither hides a card.
  await p.db
    .sql`insert into notes_careless (extra) values (${p.db.sql.json({ n: 'paid\n6011000990139424' })})`;
  await p.db.sql`insert into notes_careless (raw) values (${Buffer.from('\n378282246310005')})`;
  // Ids are not cards, even where the old rule read one across their dashes.
  await p.db
    .sql`insert into notes_careless (body) values ('key fc845004-91f7-4be7-9c54-991809612034')`;
  await p.db.sql`
    insert into outbox_events (topic, payload, created_at, available_at)
    values ('x.y', ${p.db.sql.json({ note: 'card 4000000000000002' })}, now(), now())`;
  const lines: string[] = [];
  const code = await vaultScanCommand(p.vault, {
    out: (l) => lines.push(l),
    err: (l) => lines.push(l),
  });
  assert.equal(code, 1);
  const text = lines.join('\n');
  assert.match(text, /FOUND 6 card number/);
  assert.match(text, /notes_careless\.body row \(0,1\): 424242••••••4242/);
  assert.match(text, /notes_careless\.extra row/);
  assert.match(text, /notes_careless\.raw row/);
  assert.match(text, /outbox_events\.payload row/);
  assert.doesNotMatch(text, /4242424242424242|5555555555554444|3566002020360505/);
  assert.match(text, /601100••••••9424/);
  assert.match(text, /378282•••••0005/);
  const incidents = await p.db
    .sql`select kind, severity, status, summary, detail::text as d from incidents_records`;
  assert.equal(incidents.length, 1);
  assert.equal(incidents[0]!['kind'], 'vault.pan_discovered');
  assert.equal(incidents[0]!['severity'], 'critical');
  assert.match(String(incidents[0]!['summary']), /notes_careless\.body/);
  assert.doesNotMatch(String(incidents[0]!['d']), /4242424242424242/);
});

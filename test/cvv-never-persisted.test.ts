import { test } from 'node:test';
import assert from 'node:assert/strict';
import { cardPlatform, dumpDatabase } from './helpers/cards.ts';
import { CANARY_CID, CANARY_CVC, runEveryCardFlow } from './helpers/card-flows.ts';

// GMO-PG 2017: security codes sat on servers the operator did not know kept them. Here a
// known code goes through every card flow, then the whole database, every log line, the
// outbox and every HTTP response are searched: the code appears nowhere (PCI DSS 3.3.1.2).

function standalone(code: string): RegExp {
  // The code as its own token: not part of a longer number, word, hex string or decimal.
  return new RegExp(`(?<![0-9A-Za-z.])${code}(?![0-9A-Za-z.])`);
}

test('the security code is in no table, log line, outbox row, audit entry or response', async (t) => {
  const p = await cardPlatform();
  t.after(() => p.close());
  const responses = await runEveryCardFlow(p);
  const dump = await dumpDatabase(p.db);
  const outbox = (await p.db.sql`select payload::text as t from outbox_events`)
    .map((r) => r['t'])
    .join('\n');
  const audit = (await p.db.sql`select detail from audit_entries`)
    .map((r) => r['detail'])
    .join('\n');
  const logs = p.logs.text();
  // The card flows write no outbox rows (the vault enqueues nothing; its audit entries record
  // tokenizing and shredding), so the outbox is searched though it may be empty.
  assert.ok(dump.length > 1000 && logs.length > 1000 && audit.length > 0);
  for (const [name, text] of Object.entries({
    dump,
    outbox,
    audit,
    logs,
    responses: responses.join('\n'),
  })) {
    for (const code of [CANARY_CVC, CANARY_CID]) {
      assert.doesNotMatch(text, standalone(code), `security code found in ${name}`);
    }
    assert.doesNotMatch(
      text,
      /"(cvc|cvv|cvc2|cid|csc|security_code)"\s*:\s*"(?!\[redacted\])/i,
      name,
    );
  }
});

test('no column of any table could hold a security code', async (t) => {
  const p = await cardPlatform();
  t.after(() => p.close());
  const columns = await p.db.sql`
    select table_name, column_name from information_schema.columns
    where table_schema = current_schema()
      and column_name ~* '(^|_)(cvc|cvv|csc|cid|security_?code|card_?code)[0-9]*(_|$)'`;
  assert.deepEqual([...columns], []);
});

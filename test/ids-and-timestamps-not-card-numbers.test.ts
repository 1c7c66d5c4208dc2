import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { luhnValid } from '../src/lib/card-numbers.ts';
import { pay, post, shop, webPaymentsHarness } from './helpers/web-payments.ts';

// False card alarms. Every card-number guard ran Luhn over any 13-19 digits with dashes
// anywhere, so `kinko vault scan` read the digits across a UUID's dashes as a card: the
// Idempotency-Key fc845004-91f7-4be7-9c54-991809612034, kept in idempotency_keys, became
// 549918••••2034 and opened a critical incident (one random UUID in 454 did this; ledger
// transfer ids in audit entries too). And a description such as idem-1796321000004 (a
// millisecond timestamp) was refused as card_data_not_allowed, one such description in ten.
// Both now pass the one detector (lib/card-numbers.ts): a digit run inside a longer token is
// not a card, and no brand issues numbers beginning 17.

/** What the old guards took for a card: 13-19 digits, spaces or dashes anywhere, Luhn. */
function oldRuleFlags(text: string): boolean {
  const runs = text.match(/(?<![0-9])[0-9](?:[ -]?[0-9]){12,18}(?![0-9])/g) ?? [];
  return runs.some((r) => luhnValid(r.replace(/[ -]/g, '')));
}

function keysTheOldScanFlagged(n: number): string[] {
  const keys = ['fc845004-91f7-4be7-9c54-991809612034'];
  while (keys.length < n) {
    const k = randomUUID();
    if (oldRuleFlags(k)) keys.push(k);
  }
  return keys;
}

test('UUID idempotency keys and timestamp descriptions: accepted, and the scan finds nothing', async (t) => {
  const h = await webPaymentsHarness();
  t.after(() => h.close());
  const s = await shop(h);
  const descriptions = ['idem-1796321000004'];
  for (let ts = 1_796_321_000_000; descriptions.length < 6; ts += 7) {
    if (luhnValid(String(ts))) descriptions.push(`idem-${ts}`);
  }
  const keys = keysTheOldScanFlagged(descriptions.length);
  for (const [i, description] of descriptions.entries()) {
    assert.ok(oldRuleFlags(description) && oldRuleFlags(keys[i]!), 'a case the old rule failed');
    const created = await post(
      h,
      s,
      '/v1/payments',
      { amount: 1200, currency: 'JPY', description, metadata: { order_id: description } },
      keys[i],
    );
    assert.equal(created.statusCode, 201, created.body);
    assert.equal(created.json().description, description);
  }
  // Payments that post to the ledger and audit chain, whose ids are UUIDs too.
  for (let i = 0; i < 5; i++) await pay(h, s, '4242424242424242', { description: `idem-${i}` });
  const stored = await h.api.db.sql`select count(*)::int as n from idempotency_keys`;
  assert.ok(Number(stored[0]!['n']) >= keys.length);

  const scan = await h.vault.scan();
  assert.deepEqual(scan.findings, []);
  assert.equal(scan.exitCode, 0);
  const incidents = await h.api.db.sql`select count(*)::int as n from incidents_records`;
  assert.equal(incidents[0]!['n'], 0);
});

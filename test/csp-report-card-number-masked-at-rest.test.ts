import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';

import { cardPlatform } from './helpers/cards.ts';

// CSP reports are masked as they arrive (csp-report-carries-card-number.test.ts); reports a
// skimmer planted before that kept the card number and security code in clear, and the scan
// kept finding them. Migration 0022 masks those rows: every digit, and long encoded tokens.

const MIGRATION = path.resolve(import.meta.dirname, '../migrations/0022_csp_reports_masked.sql');

test('reports stored before masking lose their digits, and the scan then finds nothing', async (t) => {
  const p = await cardPlatform();
  t.after(() => p.close());
  const encoded = Buffer.from('4917613582942078|739').toString('base64url');
  // Rows exactly as the earlier handler wrote them: paths kept, queries dropped.
  await p.db.sql`
    insert into vault_csp_reports (received_at, document_path, effective_directive, blocked_uri,
      disposition, source_file, line_number, sample)
    values
      (now(), 'https://kinko.example/hosted/fields/4917613582942078', 'connect-src',
       'https://evil.example/4917613582942078/cvc739/', 'enforce',
       'https://evil.example/4917613582942078.js', 12, 'c=739'),
      (now(), '', '4917613582942078', ${`https://evil.example/i/${encoded}`}, 'report',
       null, null, null)`;
  assert.ok((await p.vault.scan()).findingCount > 0, 'the planted rows are found before');

  await p.db.sql.unsafe(fs.readFileSync(MIGRATION, 'utf8'));

  const rows = await p.vault.listCspReports();
  const stored = JSON.stringify(rows.map((r) => ({ ...r, received_at: null, line_number: 'n' })));
  assert.ok(!/[0-9]/.test(stored), stored);
  assert.ok(!stored.includes(encoded), stored);
  const first = rows.at(-1)!;
  assert.equal(first.blocked_uri, 'https://evil.example/[encoded]/cvc•••/');
  assert.equal(first.sample, 'c=•••');
  assert.equal(first.line_number, 12);
  assert.equal(rows[0]!.blocked_uri, 'https://evil.example/i/[encoded]');
  const scan = await p.vault.scan();
  assert.equal(scan.findingCount, 0, JSON.stringify(scan.findings));
});

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { cardPlatform, dumpDatabase } from './helpers/cards.ts';

// ApparelX 2020: a skimmer on a payment page sends the card to its own server, often with the
// number and security code in the URL's path. Where the page's CSP blocks it, the browser
// reports the blocked URL to the open, unauthenticated /csp-reports endpoint, and anyone can
// post such a report. Before this, query strings were dropped but paths were not: the number
// sat in clear in vault_csp_reports (blocked_uri, document_path, source_file) and the code in
// the sample, and `kinko vault scan` then opened a critical incident for each one posted, so
// anyone could open incidents at will. Now no field keeps anything card-like.

const PAN = '4917613582942078';
const SPELLINGS = [PAN, '4917 6135 8294 2078', '4917-6135-8294-2078', '739'];
const ENCODED = Buffer.from(`{"n":"${PAN}","c":"739","e":"12/29"}`).toString('base64url');

const ATTACKS: Array<Record<string, unknown>> = [
  {
    'document-uri': `https://kinko.example/hosted/fields/${PAN}`,
    'blocked-uri': `https://evil.example/${PAN}/cvc739/`,
    'source-file': `https://evil.example/${PAN}.js`,
    'effective-directive': 'connect-src',
    'script-sample': `fetch("/x?c=739&n=${PAN}")`,
    'line-number': 12,
  },
  { 'blocked-uri': `https://${PAN}.739.evil.example/p.gif`, 'effective-directive': 'img-src' },
  { 'blocked-uri': 'https://evil.example/4917/6135/8294/2078/739', 'effective-directive': PAN },
  { 'blocked-uri': 'https://evil.example/%34%39%31%37%36%31%33%35%38%32%39%34%32%30%37%38' },
  { 'blocked-uri': `https://evil.example/i/${ENCODED}.png`, 'script-sample': 'c=739' },
  { 'blocked-uri': 'https://evil.example/４９１７６１３５８２９４２０７８', disposition: 'report' },
  { 'document-uri': 'data:text/html,4917613582942078', 'blocked-uri': `inline ${PAN} cvc 739` },
];

test('a CSP report carrying a card number stores nothing card-like and opens no incident', async (t) => {
  const p = await cardPlatform();
  t.after(() => p.close());
  for (const report of ATTACKS) {
    const res = await p.app.inject({
      method: 'POST',
      url: '/csp-reports',
      headers: { 'content-type': 'application/csp-report' },
      payload: JSON.stringify({ 'csp-report': report }),
    });
    assert.equal(res.statusCode, 204, res.body);
  }
  const rows = await p.vault.listCspReports();
  assert.equal(rows.length, ATTACKS.length, 'every report is kept, for the investigation');
  const stored = JSON.stringify(rows);
  for (const s of SPELLINGS) assert.ok(!stored.includes(s), `${s} stored: ${stored}`);
  assert.ok(!stored.includes(ENCODED), 'the encoded card is stored');
  assert.ok(!/[0-9]{3}/.test(stored.replace(/"received_at":"[^"]*"/g, '')), stored);
  // What an investigation needs stays: the page, the host and the shape of the path.
  const first = rows.at(-1)!;
  assert.equal(first.blocked_uri, 'https://evil.example/••••••••••••••••/cvc•••/');
  assert.equal(first.document_path, 'https://kinko.example/hosted/fields/••••••••••••••••');
  assert.equal(first.source_file, 'https://evil.example/••••••••••••••••.js');
  assert.equal(first.effective_directive, 'connect-src');
  assert.equal(first.line_number, 12);

  const dump = await dumpDatabase(p.db);
  const logs = p.logs.text();
  for (const s of SPELLINGS.slice(0, 3)) {
    assert.ok(!dump.includes(s), `${s} in the database`);
    assert.ok(!logs.includes(s), `${s} in the logs`);
  }
  const scan = await p.vault.scan();
  assert.equal(scan.findingCount, 0, JSON.stringify(scan.findings));
  const incidents = await p.db.sql`select count(*)::int as n from incidents_records`;
  assert.equal(incidents[0]!['n'], 0);
});

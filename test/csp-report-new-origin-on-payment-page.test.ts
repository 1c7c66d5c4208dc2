import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { testPlatform, type TestPlatform } from './helpers/platform.ts';

// A skimmer on the hosted-fields page is blocked by its CSP, and the browser reports it: the
// first report of an origin never blocked there before raises an alert on the page's
// incident; a burst of reports is a spike and joins the same incident; the console sees the
// reports grouped by page, directive and blocked origin over time, nothing card-like.

const PAN = '4917613582942078';
let p: TestPlatform;
before(async () => {
  p = await testPlatform();
});
after(() => p.close());

async function report(page: string, blocked: string, directive = 'script-src-elem') {
  const res = await p.app.inject({
    method: 'POST',
    url: '/csp-reports',
    headers: { 'content-type': 'application/csp-report' },
    payload: JSON.stringify({
      'csp-report': {
        'document-uri': `http://localhost:8080${page}?n=${PAN}`,
        'blocked-uri': blocked,
        'effective-directive': directive,
      },
    }),
  });
  assert.equal(res.statusCode, 204, res.body);
}

const check = () =>
  p.modules.card.vault.checkCspReports((tx, s) => p.modules.incidents.raise(tx, s), 60);
const incidents = () => p.db.sql`select id, kind, severity from incidents_records`;

test('a new blocked origin on a payment page raises an alert; seen again, it does not', async () => {
  await report('/hosted/fields', 'https://cdn.example/lib.js');
  p.clock.advanceMs(120_000);
  assert.equal((await check()).length, 0, 'nothing in the window');
  await report('/hosted/fields', `https://evil.example/skim/${PAN}.js`);
  await report('/wallet', 'https://other.example/x.js');
  p.clock.advanceMs(1_000);
  const [signal, ...more] = await check();
  assert.equal(more.length, 0, 'the wallet is not a payment page');
  assert.equal(signal?.title, 'New blocked origin on a payment page');
  assert.deepEqual(signal?.detail['new_origins'], [
    { directive: 'script-src-elem', origin: 'https://evil.example', n: 1 },
  ]);
  assert.equal((await incidents()).length, 1);
  p.clock.advanceMs(120_000);
  await report('/hosted/fields', 'https://evil.example/again.js');
  p.clock.advanceMs(1_000);
  assert.equal((await check()).length, 0, 'an origin already seen on the page is quiet');
});

test('a spike of reports on the page joins its incident', async () => {
  p.clock.advanceMs(120_000);
  for (let i = 0; i < 25; i++) await report('/hosted/fields', 'https://evil.example/x.js');
  p.clock.advanceMs(1_000);
  const [signal] = await check();
  assert.equal(signal?.title, 'CSP report spike');
  assert.equal(signal?.detail['reports'], 25);
  assert.equal((await incidents()).length, 1, 'joined the page incident');
});

test('the console groups reports by page, directive and origin, counted over time', async () => {
  const groups = await p.modules.card.vault.cspReportGroups({ hours: 24, bucketSeconds: 3600 });
  const evil = groups.find((g) => g.origin === 'https://evil.example');
  assert.equal(evil?.page, 'http://localhost:8080/hosted/fields');
  assert.equal(evil?.payment_page, true);
  assert.equal(evil?.total, 27);
  assert.doesNotMatch(JSON.stringify(groups), /4917|6135|8294|2078/);
  const res = await p.app.inject({ method: 'GET', url: '/v1/console/csp_reports' });
  assert.equal(res.statusCode, 401, 'operators only');
});

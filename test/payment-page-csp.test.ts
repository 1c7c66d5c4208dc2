import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import {
  cardPlatform,
  hostedHeaders,
  MERCHANT_ORIGIN,
  openHostedPage,
  type CardPlatform,
} from './helpers/cards.ts';

// ApparelX 2020 (a checkout page altered to post card data elsewhere) and PCI DSS 6.4.3 and
// 11.6.1: payment pages run only scripts Kinko lists, by hash, under a strict per-response CSP.

function directives(csp: string): Map<string, string> {
  return new Map(
    csp
      .split(';')
      .map((d) => d.trim())
      .filter(Boolean)
      .map((d) => {
        const [name, ...rest] = d.split(/\s+/);
        return [name!, rest.join(' ')];
      }),
  );
}

async function challengePage(p: CardPlatform): Promise<{ html: string; csp: string }> {
  const { key } = await openHostedPage(p);
  const res = await p.app.inject({
    method: 'POST',
    url: '/v1/vault/hosted/tokenize',
    headers: hostedHeaders(p, key),
    payload: { number: '4000000000003220', exp_month: 12, exp_year: 2030, cvc: '123' },
  });
  const page = await p.app.inject({ method: 'GET', url: res.json().challenge_url });
  return { html: page.body, csp: String(page.headers['content-security-policy']) };
}

test('hosted fields page: per-response nonce, form-action self, tight connect-src, framing by the merchant only', async (t) => {
  const p = await cardPlatform();
  t.after(() => p.close());
  const a = await openHostedPage(p);
  const b = await openHostedPage(p);
  const d = directives(a.csp);
  const nonce = /'nonce-([A-Za-z0-9+/=]+)'/.exec(d.get('script-src') ?? '')?.[1];
  assert.ok(nonce && nonce.length >= 22);
  assert.notEqual(a.csp, b.csp, 'a fresh nonce per response');
  assert.equal(d.get('default-src'), "'none'");
  assert.equal(d.get('script-src'), `'nonce-${nonce}'`);
  assert.equal(d.get('form-action'), "'self'");
  assert.equal(d.get('connect-src'), "'self'");
  assert.equal(d.get('frame-ancestors'), MERCHANT_ORIGIN);
  assert.equal(d.get('base-uri'), "'none'");
  assert.equal(d.get('report-uri'), '/csp-reports');
  for (const tag of a.html.match(/<script[^>]*src=[^>]*>/g) ?? [])
    assert.match(tag, new RegExp(`nonce="${nonce.replace(/[+/]/g, '\\$&')}"`));
  const res = await p.app.inject({
    method: 'GET',
    url: `/hosted/fields?pk=${p.merchant.publishableKey}&origin=${encodeURIComponent(MERCHANT_ORIGIN)}`,
  });
  assert.equal(res.headers['x-frame-options'], undefined, 'frame-ancestors decides framing');
});

test('3-D Secure challenge page: its own nonce CSP, framed only by Kinko and the merchant', async (t) => {
  const p = await cardPlatform();
  t.after(() => p.close());
  const { csp } = await challengePage(p);
  const d = directives(csp);
  assert.match(d.get('script-src') ?? '', /^'nonce-[A-Za-z0-9+/=]+'$/);
  assert.equal(d.get('form-action'), "'self'");
  assert.equal(d.get('connect-src'), "'self'");
  assert.equal(d.get('frame-ancestors'), `'self' ${MERCHANT_ORIGIN}`);
  assert.equal(d.get('report-uri'), '/csp-reports');
});

test('every script a payment page loads is in the inventory, and the bytes served match its hash', async (t) => {
  const p = await cardPlatform();
  t.after(() => p.close());
  const inventory = (await p.app.inject({ method: 'GET', url: '/js/inventory.json' })).json() as {
    scripts: Array<{ path: string; integrity: string }>;
  };
  const pages = [(await openHostedPage(p)).html, (await challengePage(p)).html];
  let seen = 0;
  for (const html of pages) {
    for (const tag of html.match(/<script\b[^>]*>/g) ?? []) {
      if (/type="application\/json"/.test(tag)) continue;
      const src = /src="([^"]+)"/.exec(tag)?.[1];
      const integrity = /integrity="([^"]+)"/.exec(tag)?.[1];
      assert.ok(src, `inline script on a payment page: ${tag}`);
      const listed = inventory.scripts.find((s) => s.path === src);
      assert.ok(listed, `${src} is served on a payment page but is not in the inventory`);
      assert.equal(integrity, listed.integrity, `${src} is loaded without its inventory hash`);
      seen += 1;
    }
  }
  assert.equal(seen, 2);
  for (const s of inventory.scripts) {
    const res = await p.app.inject({ method: 'GET', url: s.path });
    assert.equal(res.statusCode, 200, s.path);
    const hash = `sha384-${createHash('sha384').update(res.rawPayload).digest('base64')}`;
    assert.equal(hash, s.integrity, `${s.path} served bytes differ from the inventory`);
  }
  const sri = (await p.app.inject({ method: 'GET', url: '/js/kinko.js.sri' })).json();
  assert.deepEqual(sri, {
    path: '/js/kinko.js',
    integrity: inventory.scripts.find((s) => s.path === '/js/kinko.js')!.integrity,
  });
  const loader = await p.app.inject({ method: 'GET', url: '/js/kinko.js' });
  assert.equal(loader.headers['access-control-allow-origin'], '*', 'SRI across origins needs CORS');
  assert.equal(loader.headers['cross-origin-resource-policy'], 'cross-origin');
});

test('CSP violation reports are stored, without query strings; other content types are refused', async (t) => {
  const p = await cardPlatform();
  t.after(() => p.close());
  const report = {
    'csp-report': {
      'document-uri': `${p.publicOrigin}/hosted/fields?pk=pk_secretish&origin=x`,
      'violated-directive': 'script-src-elem',
      'effective-directive': 'script-src-elem',
      'original-policy': "default-src 'none'",
      disposition: 'enforce',
      'blocked-uri': 'https://evil.example/skim.js?c=4242424242424242',
      'status-code': 200,
    },
  };
  const res = await p.app.inject({
    method: 'POST',
    url: '/csp-reports',
    headers: { 'content-type': 'application/csp-report' },
    payload: JSON.stringify(report),
  });
  assert.equal(res.statusCode, 204, res.body);
  const [row] = await p.vault.listCspReports();
  assert.equal(row!.document_path, `${p.publicOrigin}/hosted/fields`);
  assert.equal(row!.blocked_uri, 'https://evil.example/skim.js');
  assert.equal(row!.effective_directive, 'script-src-elem');
  const xml = await p.app.inject({
    method: 'POST',
    url: '/csp-reports',
    headers: { 'content-type': 'text/xml' },
    payload: '<x/>',
  });
  assert.equal(xml.statusCode, 415);
  // The extra parser is scoped to the report route: tokenize still refuses it.
  const other = await p.app.inject({
    method: 'POST',
    url: '/v1/vault/hosted/tokenize',
    headers: { 'content-type': 'application/csp-report' },
    payload: '{}',
  });
  assert.equal(other.statusCode, 415);
});

test('a CSP report PostgreSQL could not store is refused with 400, not a 500', async (t) => {
  // The report endpoint is open to any browser, so to anyone: it must not answer 500.
  const p = await cardPlatform();
  t.after(() => p.close());
  const send = (report: string) =>
    p.app.inject({
      method: 'POST',
      url: '/csp-reports',
      headers: { 'content-type': 'application/csp-report' },
      payload: `{"csp-report":${report}}`,
    });
  for (const [report, param] of [
    ['{"effective-directive":"script-src\\u0000"}', 'csp-report.effective-directive'],
    ['{"blocked-uri":"https://x.example/\\ud800"}', 'csp-report.blocked-uri'],
    ['{"effective-directive":"script-src","line-number":99999999999}', 'csp-report.line-number'],
    ['{"__proto__":{"x":1}}', undefined],
  ] as const) {
    const res = await send(report);
    assert.equal(res.statusCode, 400, res.body);
    if (param) assert.equal(res.json().error.param, param);
  }
  assert.equal((await p.vault.listCspReports()).length, 0);
});

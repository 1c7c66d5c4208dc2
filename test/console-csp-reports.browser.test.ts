import { test } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { NO_CHROMIUM } from './helpers/browser.ts';
import { authenticator } from './helpers/identity-factors.ts';
import { startWebPlatformAndBrowser } from './helpers/web-platform.ts';

// A risk analyst reads what browsers blocked on Kinko's pages: a skimmer's origin blocked on
// the hosted card fields shows first, marked as a payment page, with its count; a blocked
// origin on the wallet shows below it; a card number sent inside a report URL never reaches
// the screen.

const PAN = '4917613582942078';

test(
  'the console lists CSP reports by page, directive and origin, payment pages first',
  { skip: NO_CHROMIUM, timeout: 180_000 },
  async (t) => {
    const { p, browser } = await startWebPlatformAndBrowser(t);
    const report = async (page: string, blocked: string) => {
      const res = await fetch(`${p.origin}/csp-reports`, {
        method: 'POST',
        headers: { 'content-type': 'application/csp-report' },
        body: JSON.stringify({
          'csp-report': {
            'document-uri': `${p.origin}${page}?pan=${PAN}`,
            'blocked-uri': blocked,
            'effective-directive': 'script-src-elem',
          },
        }),
      });
      assert.equal(res.status, 204);
    };
    await report('/wallet', 'https://ads.example/a.js');
    for (let i = 0; i < 3; i++) await report('/hosted/fields', `https://skim.example/${PAN}.js`);

    const email = 'analyst@kinko.example';
    const password = 'risk analyst password 1';
    const made = await p.platform.modules.identity.createOperator({
      email,
      name: 'Risk analyst',
      role: 'risk_analyst',
      password,
    });
    const page = await (await browser.newContext({ locale: 'en-GB' })).newPage();
    await page.setViewportSize({ width: 1280, height: 1000 });
    const problems: string[] = [];
    page.on('pageerror', (e) => problems.push(e.message));
    page.on('console', (m) => m.type() === 'error' && problems.push(m.text()));
    await page.goto(`${p.origin}/console`);
    await page.getByLabel('Email').fill(email);
    await page.getByLabel('Password').fill(password);
    await page.getByLabel(/code/i).fill(authenticator(made.totpSecret).code(Date.now()));
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('link', { name: 'Security events' }).click();
    await page.getByRole('heading', { name: 'Blocked by Content-Security-Policy' }).waitFor();

    const rows = page.locator('tr[data-csp-group]');
    await rows.first().waitFor();
    assert.equal(await rows.count(), 2);
    const first = rows.nth(0);
    assert.match(await first.innerText(), /\/hosted\/fields\s+payment page/);
    assert.match(await first.innerText(), /https:\/\/skim\.example\s+3/);
    assert.match(await rows.nth(1).innerText(), /\/wallet\s+script-src-elem\s+https:\/\/ads/);
    assert.doesNotMatch(await page.content(), new RegExp(PAN), 'no card number on screen');
    await page.getByRole('button', { name: 'Last 7 days' }).click();
    await page.locator('button[aria-pressed="true"]', { hasText: 'Last 7 days' }).waitFor();
    assert.equal(await rows.count(), 2);
    const dir = process.env['KINKO_SCREENSHOT_DIR'];
    if (dir) await page.screenshot({ path: path.join(dir, 'console-csp.png'), fullPage: true });
    assert.deepEqual(problems, []);
  },
);

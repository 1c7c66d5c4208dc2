import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import type { Locator, Page } from 'playwright-core';
import { launchChromium, NO_CHROMIUM, tabsOutOfView } from './helpers/browser.ts';
import { freePort } from './helpers/free-port.ts';
import { authenticator } from './helpers/identity-factors.ts';
import { payPlatform } from './helpers/payments-platform.ts';
import {
  accept,
  dashboardSignIn,
  invitationLinkSentTo,
  nextStep,
  tokenOfLink,
} from './helpers/merchant-team.ts';

// The dashboard's front door in Chromium: the owner opens the one-time invitation link,
// chooses a password, enrols an authenticator (the code comes from the secret the page
// shows), keeps the recovery codes, and lands signed in; invites an analyst from the Team
// page; signs out and back in with email, password and a TOTP code; creates an API key,
// shown once. Every one of the owner's tabs is in view at 1100 px; on a phone (375 px) they
// fold behind a menu that the keyboard opens, walks and closes. The analyst, signed in,
// sees neither API keys nor Team. With
// KINKO_SCREENSHOTS=1 the pages are saved under docs/screenshots (dashboard-team-*.png).

async function screenshot(page: Page, name: string): Promise<void> {
  if (process.env['KINKO_SCREENSHOTS'] !== '1') return;
  const dir = path.join(
    path.dirname(new URL(import.meta.url).pathname),
    '..',
    'docs',
    'screenshots',
  );
  fs.mkdirSync(dir, { recursive: true });
  await page.screenshot({ path: path.join(dir, `dashboard-team-${name}.png`), fullPage: true });
}

test(
  'dashboard: invitation, mandatory TOTP, team, sign-in, key shown once',
  { skip: NO_CHROMIUM },
  async () => {
    const p = await payPlatform();
    const port = await freePort();
    await p.app.listen({ port, host: '127.0.0.1' });
    const origin = `http://127.0.0.1:${port}`;
    const browser = await launchChromium();
    try {
      const page = await browser.newPage({ viewport: { width: 1100, height: 900 } });
      const problems: string[] = [];
      page.on('pageerror', (e) => problems.push(e.message));
      await page.addInitScript(() => localStorage.setItem('kinko.lang', 'en'));
      const { link } = await p.modules.merchants.inviteOwner(
        p.merchant.merchantId,
        'owner@yamada.example',
      );
      await page.goto(`${origin}/dashboard#/invite/${tokenOfLink(link)}`);
      await page.locator('#f-password').fill('owner dashboard passphrase');
      await page.locator('#f-password_again').fill('owner dashboard passphrase');
      await screenshot(page, 'invitation');
      await page.getByRole('button', { name: 'Next: authenticator app' }).click();
      const secret = await page.getByTestId('totp-secret').innerText();
      await screenshot(page, 'enrol');
      const app = authenticator(secret.trim());
      await page.locator('#f-totp_code').fill(app.code(p.clock.nowMs()));
      nextStep(p);
      await page.getByRole('button', { name: 'Confirm and sign in' }).click();
      const codes = page.getByTestId('recovery-codes').locator('li');
      await codes.nth(9).waitFor();
      await screenshot(page, 'recovery-codes');
      await page.getByRole('button', { name: 'I have kept them' }).click();
      await page.getByRole('link', { name: 'Team' }).click();
      await page.locator('#f-email').fill('analyst@yamada.example');
      await page.locator('#f-role').selectOption('analyst');
      await page.getByRole('button', { name: 'Send invitation' }).click();
      await page.getByTestId('team-invitation').waitFor();
      await screenshot(page, 'team');

      // Signed out, the page asks for all three; a wrong code is refused by name.
      await page.getByRole('button', { name: 'Sign out' }).click();
    await page.getByTestId('dashboard-sign-in').waitFor();
      await page.locator('#f-email').fill('owner@yamada.example');
      await page.locator('#f-password').fill('owner dashboard passphrase');
      await page.locator('#f-totp_code').fill('000000');
      await page.getByRole('button', { name: 'Sign in' }).click();
      await page.getByText('The email, password or authenticator code is not correct.').waitFor();
      await screenshot(page, 'sign-in');
      const owner = {
        email: 'owner@yamada.example',
        password: 'owner dashboard passphrase',
        app,
        cookie: '',
        recoveryCodes: [],
        personId: '',
      };
      await dashboardSignIn(page, p, origin, owner);
      await tabsFitAt1100AndOnAPhone(page);
      await page.getByRole('link', { name: 'API keys' }).click();
      await page
        .getByRole('button', { name: /Create/ })
        .first()
        .click();
      const revealed = await page.getByTestId('revealed-secret').innerText();
      assert.match(revealed, /^rk_live_|^sk_live_/);
      await screenshot(page, 'key-once');
      await page.reload();
      await page.locator('table').first().waitFor();
      assert.equal(await page.getByTestId('revealed-secret').count(), 0, 'shown once');

      // The analyst, from the emailed link, sees read-only pages only.
      const analyst = await accept(
        p,
        await invitationLinkSentTo(p, 'analyst@yamada.example'),
        'analyst@yamada.example',
      );
      const other = await browser.newPage();
      await other.addInitScript(() => localStorage.setItem('kinko.lang', 'ja'));
      await dashboardSignIn(other, p, origin, analyst);
      const tabs = await other.locator('nav.tabs a').allInnerTexts();
      assert.ok(!tabs.includes('API キー') && !tabs.includes('チーム'), tabs.join(','));
      assert.ok(tabs.includes('決済'));
      await screenshot(other, 'analyst');
      assert.deepEqual(problems, []);
      // No secret key ever reached the page's storage.
      const stored = await page.evaluate(() =>
        JSON.stringify({ ...sessionStorage, ...localStorage }),
      );
      assert.ok(!/sk_(live|test)_/.test(stored), stored);
    } finally {
      await browser.close();
      await p.close();
    }
  },
);

/**
 * Waits for the menu button's aria-expanded to read `want`: the page re-renders after a key
 * press (and after the address changes), and on a busy machine a read at once may come first.
 */
async function expanded(menu: Locator, want: 'true' | 'false'): Promise<void> {
  const until = Date.now() + 5000;
  let seen = await menu.getAttribute('aria-expanded');
  while (seen !== want && Date.now() < until) {
    await new Promise((r) => setTimeout(r, 50));
    seen = await menu.getAttribute('aria-expanded');
  }
  assert.equal(seen, want, 'the menu button says whether the menu is open');
}

/** The owner sees every page's tab: all in view at 1100 px, and behind a menu on a phone. */
async function tabsFitAt1100AndOnAPhone(page: Page): Promise<void> {
  const tabs = page.locator('nav.tabs a');
  assert.ok((await tabs.count()) >= 10, 'the owner has every page');
  assert.deepEqual(await tabsOutOfView(page), [], 'every tab in view at 1100 px');
  await screenshot(page, 'tabs-1100');

  await page.setViewportSize({ width: 375, height: 900 });
  const menu = page.getByRole('button', { name: /^Menu/ });
  assert.equal(await menu.getAttribute('aria-expanded'), 'false');
  assert.match(await menu.innerText(), /Payments/, 'the menu names the page open now');
  await menu.focus();
  await page.keyboard.press('Enter');
  await expanded(menu, 'true');
  assert.deepEqual(await tabsOutOfView(page), [], 'every tab in view at 375 px, once opened');
  await screenshot(page, 'tabs-375');
  await page.keyboard.press('Escape');
  await expanded(menu, 'false');
  assert.equal(await tabs.first().isVisible(), false);
  // Open it again and walk to Balance (the fourth page) with Tab: choosing it closes the
  // menu and gives the focus back to the button, which now names Balance.
  await page.keyboard.press('Space');
  await expanded(menu, 'true');
  for (let i = 0; i < 4; i++) await page.keyboard.press('Tab');
  await page.keyboard.press('Enter');
  await page.waitForURL(/#\/balance$/);
  await expanded(menu, 'false');
  assert.match(await menu.innerText(), /Balance/);
  assert.equal(await page.evaluate(() => document.activeElement?.className), 'menu');
  await page.setViewportSize({ width: 1100, height: 900 });
}

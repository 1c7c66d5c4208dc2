import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import type { Page } from 'playwright-core';
import { launchChromium, NO_CHROMIUM } from './helpers/browser.ts';
import { freePort } from './helpers/free-port.ts';
import { payPlatform } from './helpers/payments-platform.ts';
import { accept, dashboardSignIn, nextStep } from './helpers/merchant-team.ts';

// A merchant owner's passkey in Chromium, with its virtual authenticator: on Security the
// owner names a passkey, gives a current authenticator code and confirms the browser's
// prompt; signs out; signs in with email, password and the passkey (no code). A wrong
// password with the same passkey is refused in plain words; removing it takes a code too. The platform's public origin is
// http://localhost:<port>, as WebAuthn needs a named host. With KINKO_SCREENSHOTS=1 the
// pages are saved under docs/screenshots (dashboard-passkeys-*.png).

async function screenshot(page: Page, name: string): Promise<void> {
  if (process.env['KINKO_SCREENSHOTS'] !== '1') return;
  const here = path.dirname(new URL(import.meta.url).pathname);
  const dir = path.join(here, '..', 'docs', 'screenshots');
  fs.mkdirSync(dir, { recursive: true });
  await page.screenshot({ path: path.join(dir, `dashboard-passkeys-${name}.png`), fullPage: true });
}

async function addVirtualAuthenticator(page: Page): Promise<void> {
  const cdp = await page.context().newCDPSession(page);
  await cdp.send('WebAuthn.enable', { enableUI: false });
  await cdp.send('WebAuthn.addVirtualAuthenticator', {
    options: {
      protocol: 'ctap2',
      transport: 'internal',
      hasResidentKey: true,
      hasUserVerification: true,
      isUserVerified: true,
      automaticPresenceSimulation: true,
    },
  });
}

async function passkeySignIn(page: Page, email: string, password: string): Promise<void> {
  await page.getByTestId('dashboard-sign-in').waitFor();
  await page.getByRole('button', { name: 'Use a passkey instead' }).click();
  await page.locator('#f-email').fill(email);
  await page.locator('#f-password').fill(password);
  assert.equal(await page.locator('#f-totp_code').count(), 0, 'no code asked for');
  await page.getByRole('button', { name: 'Sign in with passkey' }).click();
}

test(
  'dashboard: an owner adds a passkey and signs in with password and passkey',
  { skip: NO_CHROMIUM },
  async () => {
    const port = await freePort();
    const origin = `http://localhost:${port}`;
    const p = await payPlatform({ publicOrigin: origin });
    await p.app.listen({ port, host: '127.0.0.1' });
    const browser = await launchChromium();
    try {
      const page = await browser.newPage({ viewport: { width: 1100, height: 900 } });
      const problems: string[] = [];
      page.on('pageerror', (e) => problems.push(e.message));
      await page.addInitScript(() => localStorage.setItem('kinko.lang', 'en'));
      await addVirtualAuthenticator(page);
      const { link } = await p.modules.merchants.inviteOwner(
        p.merchant.merchantId,
        'owner@yamada.example',
      );
      const owner = await accept(p, link, 'owner@yamada.example');
      await dashboardSignIn(page, p, origin, owner);

      await page.getByRole('link', { name: 'Security' }).click();
      await page.getByText('You have no passkeys yet.').waitFor();
      await page.locator('#f-name').fill('Work laptop');
      await page.locator('#f-totp_code').fill(owner.app.code(p.clock.nowMs()));
      nextStep(p);
      await page.getByRole('button', { name: 'Add passkey' }).click();
      const row = page.getByTestId('passkey');
      await row.getByText('Work laptop').waitFor();
      assert.match(await row.innerText(), /Not used yet/);
      await screenshot(page, 'security');

      // Signed out, the passkey stands in for the authenticator code.
      await page.getByRole('button', { name: 'Sign out' }).click();
      await passkeySignIn(page, owner.email, 'not the owner passphrase');
      await page.getByText('The email, password or passkey is not correct.').waitFor();
      await screenshot(page, 'wrong-password');
      await page.locator('#f-password').fill(owner.password);
      await page.getByRole('button', { name: 'Sign in with passkey' }).click();
      await page.locator('nav.tabs').waitFor();
      await page.getByRole('link', { name: 'Security' }).click();
      await row.getByText('Work laptop').waitFor();
      assert.doesNotMatch(await row.innerText(), /Not used yet/, 'last use recorded');
      await screenshot(page, 'signed-in');

      // Removing it asks for a current code as well.
      await row.getByRole('button', { name: 'Remove' }).click();
      await page.locator('#f-remove_code').fill(owner.app.code(p.clock.nowMs()));
      nextStep(p);
      await row.getByRole('button', { name: 'Remove' }).click();
      await page.getByText('You have no passkeys yet.').waitFor();
      assert.deepEqual(problems, []);
    } finally {
      await browser.close();
      await p.close();
    }
  },
);

import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Page } from 'playwright-core';
import { NO_CHROMIUM } from './helpers/browser.ts';
import {
  lastMailedCode,
  passStepUps,
  startWebPlatformAndBrowser,
  type WebPlatform,
} from './helpers/web-platform.ts';

// The wallet's Security page in Chromium: removing a device asks once more, and deleting
// the account needs the typed word, a device signature and a passkey step-up, then signs
// the customer out with a goodbye message. Console errors and CSP violations fail the test.

async function signUpWithPasskey(p: WebPlatform, page: Page, email: string, phone: string) {
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
  await page.goto(`${p.origin}/wallet#/signup`);
  await page.getByRole('button', { name: 'English' }).click();
  await page.getByLabel('Email address').fill(email);
  await page.getByLabel('Mobile phone number').fill(phone);
  await page.getByLabel('Password', { exact: true }).fill('correct horse battery staple 7');
  await page.getByRole('button', { name: 'Send verification codes' }).click();
  await page.getByLabel('Code from the email').fill(await lastMailedCode(p, email));
  await page.getByLabel('Code from the SMS').fill(await lastMailedCode(p, phone));
  await page.getByRole('button', { name: 'Create account' }).click();
  await page.getByRole('heading', { name: 'Protect your wallet' }).waitFor();
  await page.getByRole('button', { name: 'Add a passkey' }).click();
  await page.getByText('Passkey: set up').waitFor();
}

/** Waits for `text`, answering step-up dialogs with the passkey on the way. */
async function untilVisible(page: Page, text: string | RegExp): Promise<void> {
  const target = page.getByText(text).first();
  for (let i = 0; i < 100; i++) {
    if (await target.isVisible()) return;
    await passStepUps(page);
    await page.waitForTimeout(200);
  }
  await target.waitFor({ timeout: 1000 });
}

test(
  'security page: remove asks once more; delete account needs the typed word, then signs out',
  { skip: NO_CHROMIUM, timeout: 120_000 },
  async (t) => {
    const { p, browser } = await startWebPlatformAndBrowser(t);
    const context = await browser.newContext({ viewport: { width: 420, height: 900 } });
    const problems: string[] = [];
    const refusal = /^Failed to load resource: the server responded with a status of 4\d\d/;
    context.on('page', (page) => {
      page.on('console', (m) => {
        if (m.type() === 'error' && !refusal.test(m.text())) problems.push(m.text());
      });
      page.on('pageerror', (e) => problems.push(e.message));
    });
    const page = await context.newPage();
    await signUpWithPasskey(p, page, 'taro@example.com', '+819011112222');
    await page.goto(`${p.origin}/wallet#/security`);
    const device = page.getByTestId('device').first();
    await device.getByRole('button', { name: 'Remove' }).click();
    await device.getByText('Remove the device you are using?').waitFor();
    await device.getByRole('button', { name: 'Cancel' }).click();
    await device.getByRole('button', { name: 'Remove' }).waitFor();

    const remove = page.getByRole('button', { name: 'Delete account' });
    assert.equal(await remove.isDisabled(), true, 'disabled until the word is typed');
    await page.getByLabel('Type DELETE to confirm').fill('delete');
    assert.equal(await remove.isDisabled(), true, 'the word must match');
    await page.getByLabel('Type DELETE to confirm').fill('DELETE');
    await remove.click();
    await untilVisible(page, 'Your account was deleted.');
    await page.getByRole('button', { name: 'Sign in' }).waitFor();
    const session = await page.evaluate(async () => (await fetch('/v1/identity/session')).status);
    assert.equal(session, 401, 'signed out');
    assert.deepEqual(problems, []);
  },
);

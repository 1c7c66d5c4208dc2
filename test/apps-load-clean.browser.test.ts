import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import path from 'node:path';
import type { BrowserContext, Page } from 'playwright-core';
import { NO_CHROMIUM } from './helpers/browser.ts';
import { authenticator } from './helpers/identity-factors.ts';
import { deviceKey } from './helpers/identity-harness.ts';
import {
  lastMailedCode,
  startWebPlatformAndBrowser,
  type WebPlatform,
} from './helpers/web-platform.ts';

// Each app, loaded fresh in Chromium, logs no console error and no failed request: being
// signed out is the normal state of a first visit, so the session probes answer 200. Its
// script and stylesheet arrive compressed under content-hashed names. Then an operator finds
// a customer by email in the console, freezes the account with a reason and sees the card
// and the audit trail update without reloading the page; a security admin unfreezes it.

const APPS = ['wallet', 'pos', 'dashboard', 'console'] as const;

/** Screenshots go to KINKO_SCREENSHOT_DIR when set, for a person to look at. */
async function shot(page: Page, name: string): Promise<void> {
  const dir = process.env['KINKO_SCREENSHOT_DIR'];
  if (dir) await page.screenshot({ path: path.join(dir, `${name}.png`), fullPage: true });
}

/** Console errors and warnings, uncaught errors, failed and refused requests of a page. */
function watch(page: Page): string[] {
  const problems: string[] = [];
  page.on('console', (m) => {
    if (m.type() === 'error' || m.type() === 'warning') problems.push(`console: ${m.text()}`);
  });
  page.on('pageerror', (e) => problems.push(`pageerror: ${e.message}`));
  page.on('requestfailed', (r) => problems.push(`failed: ${r.url()} ${r.failure()?.errorText}`));
  page.on('response', (r) => {
    if (r.status() >= 400) problems.push(`${r.status()}: ${r.url()}`);
  });
  return problems;
}

async function cleanLoad(p: WebPlatform, context: BrowserContext, app: string): Promise<void> {
  const page = await context.newPage();
  const problems = watch(page);
  const assets: { url: string; encoding: string | undefined; cache: string | undefined }[] = [];
  page.on('response', (r) => {
    if (!new URL(r.url()).pathname.startsWith('/web/')) return;
    const h = r.headers();
    assets.push({ url: r.url(), encoding: h['content-encoding'], cache: h['cache-control'] });
  });
  await page.goto(`${p.origin}/${app}`, { waitUntil: 'networkidle' });
  await page.locator('#app h1, #app h2').first().waitFor();
  await shot(page, `clean-${app}`);
  assert.deepEqual(problems, [], `${app}: a fresh load is clean`);
  const code = assets.find((a) => a.url.endsWith('.js'));
  assert.match(code?.url ?? '', new RegExp(`/web/${app}\\.[A-Za-z0-9_-]{8,}\\.js$`), app);
  for (const a of assets.filter((x) => /\.(js|css)$/.test(x.url))) {
    assert.equal(a.encoding, 'br', `${a.url} arrives compressed`);
    assert.match(a.cache ?? '', /immutable/, a.url);
  }
  await page.close();
}

async function signUpCustomer(p: WebPlatform, email: string, phone: string): Promise<void> {
  const post = (url: string, body: object) =>
    fetch(`${p.origin}${url}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });
  const started = await post('/v1/identity/signup', {
    email,
    phone,
    password: 'hanako passphrase 1',
  });
  assert.equal(started.status, 202);
  const { signup_id } = (await started.json()) as { signup_id: string };
  const done = await post('/v1/identity/signup/verify', {
    signup_id,
    email_code: await lastMailedCode(p, email),
    phone_code: await lastMailedCode(p, phone),
    device: { name: 'phone', public_key: deviceKey().publicJwk },
  });
  assert.equal(done.status, 201, await done.text());
}

async function consoleFreeze(p: WebPlatform, context: BrowserContext): Promise<void> {
  await signUpCustomer(p, 'hanako@example.com', '+819012345678');
  const password = 'operator password for the console';
  const op = await p.platform.modules.identity.createOperator({
    email: 'risk@kinko.example',
    name: 'Risk analyst',
    role: 'risk_analyst',
    password,
  });
  const page = await context.newPage();
  await page.setViewportSize({ width: 1280, height: 900 });
  const problems = watch(page);
  await page.goto(`${p.origin}/console`);
  await page.getByLabel('メールアドレス').fill('risk@kinko.example');
  await page.getByLabel('パスワード').fill(password);
  await page.getByLabel('認証コード').fill(authenticator(op.totpSecret).code(Date.now()));
  await page.getByRole('button', { name: 'ログイン' }).click();
  await page.getByLabel('顧客ID・メール・電話番号、または各種ID').fill('090-1234-5678');
  await page.getByRole('button', { name: '検索', exact: true }).click();
  await page.getByTestId('customer-status').getByText('有効').waitFor();
  await page.getByLabel('凍結の理由').fill('電話で乗っ取りの申告あり');
  await page.getByRole('button', { name: 'アカウントを凍結' }).click();
  await page.getByTestId('customer-status').getByText('凍結中').waitFor();
  await page.getByTestId('frozen-reason').getByText('電話で乗っ取りの申告あり').waitFor();
  // The trail below was read again: it shows the freeze without a reload.
  await page.getByTestId('audit-entries').getByText('identity.account.frozen').waitFor();
  await shot(page, 'console-frozen');
  // Another operator, a security admin, restores it: found by email, with a reason.
  const adminPassword = 'security admin password for the console';
  const admin = await p.platform.modules.identity.createOperator({
    email: 'sec@kinko.example',
    name: 'Security admin',
    role: 'security_admin',
    password: adminPassword,
  });
  await page.getByRole('button', { name: 'ログアウト' }).click();
  await page.getByLabel('メールアドレス').fill('sec@kinko.example');
  await page.getByLabel('パスワード').fill(adminPassword);
  await page.getByLabel('認証コード').fill(authenticator(admin.totpSecret).code(Date.now()));
  await page.getByRole('button', { name: 'ログイン' }).click();
  await page.getByLabel('顧客ID・メール・電話番号、または各種ID').fill('Hanako@Example.com');
  await page.getByRole('button', { name: '検索', exact: true }).click();
  await page.getByLabel('解除の理由').fill('本人確認済み');
  await page.getByRole('button', { name: '凍結を解除' }).click();
  await page.getByTestId('customer-status').getByText('有効').waitFor();
  await page.getByTestId('audit-entries').getByText('identity.account.unfrozen').waitFor();
  await shot(page, 'console-unfrozen');
  assert.deepEqual(problems, []);
}

test(
  'each app loads clean (no console error, no failed request, hashed compressed assets); ' +
    'the console finds a customer by phone and freezes it with a reason',
  { skip: NO_CHROMIUM, timeout: 180_000 },
  async (t) => {
    const { p, browser } = await startWebPlatformAndBrowser(t);
    // The merchant-embedded loader keeps its public URL, its SRI and a short cache.
    const loader = await fetch(`${p.origin}/js/kinko.js`);
    assert.equal(loader.headers.get('cache-control'), 'public, max-age=300');
    const body = Buffer.from(await loader.arrayBuffer());
    const sri = (await (await fetch(`${p.origin}/js/kinko.js.sri`)).json()) as {
      integrity: string;
    };
    assert.equal(sri.integrity, `sha384-${createHash('sha384').update(body).digest('base64')}`);
    const context = await browser.newContext({ locale: 'ja-JP' });
    for (const app of APPS) await cleanLoad(p, context, app);
    await consoleFreeze(p, context);
  },
);

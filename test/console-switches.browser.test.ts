import { test } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import type { Page } from 'playwright-core';
import { launchChromium, NO_CHROMIUM } from './helpers/browser.ts';
import { authenticator } from './helpers/identity-factors.ts';
import { startWebPlatform, type WebPlatform } from './helpers/web-platform.ts';

// The console's kill-switch panel, in Japanese as a security team in Tokyo uses it: one
// security admin turns top-ups with Visa cards off and asks for the lift, and cannot approve
// their own request; a second admin approves it, and the switch moves to the history. While
// sign-in is suspended, the wallet says so in plain words.

async function shot(page: Page, name: string): Promise<void> {
  const dir = process.env['KINKO_SCREENSHOT_DIR'];
  if (dir) await page.screenshot({ path: path.join(dir, `${name}.png`), fullPage: true });
}

function watch(page: Page): string[] {
  const problems: string[] = [];
  page.on('console', (m) => {
    if (m.type() === 'error' || m.type() === 'warning') problems.push(`console: ${m.text()}`);
  });
  page.on('pageerror', (e) => problems.push(`pageerror: ${e.message}`));
  page.on('response', (r) => {
    if (r.status() >= 400) problems.push(`${r.status()}: ${r.url()}`);
  });
  return problems;
}

async function admin(p: WebPlatform, n: number) {
  const email = `sec${n}@kinko.example`;
  const password = `security admin password ${n}`;
  const input = { email, name: `Security admin ${n}`, role: 'security_admin' as const };
  const made = await p.platform.modules.identity.createOperator({ ...input, password });
  return { email, password, secret: made.totpSecret };
}

async function signIn(page: Page, a: Awaited<ReturnType<typeof admin>>): Promise<void> {
  await page.getByLabel('メールアドレス').fill(a.email);
  await page.getByLabel('パスワード').fill(a.password);
  await page.getByLabel('認証コード').fill(authenticator(a.secret).code(Date.now()));
  await page.getByRole('button', { name: 'ログイン' }).click();
  await page.getByRole('link', { name: 'キルスイッチ' }).click();
  await page.getByRole('heading', { name: '現在オン' }).waitFor();
}

test(
  'the console turns a switch on, and two security admins lift it; the wallet says why',
  { skip: NO_CHROMIUM, timeout: 180_000 },
  async (t) => {
    const p = await startWebPlatform();
    const browser = await launchChromium();
    t.after(async () => {
      await browser.close();
      await p.close();
    });
    const [first, second] = [await admin(p, 1), await admin(p, 2)];
    const context = await browser.newContext({ locale: 'ja-JP' });
    const page = await context.newPage();
    await page.setViewportSize({ width: 1280, height: 1000 });
    const problems = watch(page);
    await page.goto(`${p.origin}/console`);
    await signIn(page, first);
    await page.getByText('オンのスイッチはありません。').waitFor();

    await page.getByLabel('サービス').selectOption('topups');
    await page.getByLabel('範囲', { exact: true }).selectOption('card_brand');
    await page.getByLabel('範囲の値').fill('visa');
    await page.getByLabel('理由').fill('盗難Visaカードによるチャージの波');
    await page.getByRole('button', { name: 'オンにする' }).click();
    const row = page.locator('tr[data-switch]').first();
    await row.getByText('チャージ', { exact: true }).waitFor();
    await row.getByText('カードブランド: visa').waitFor();
    await row.getByText(first.email).waitFor();
    await shot(page, 'console-switch-on');

    await row.getByLabel(/解除の理由/).fill('カード再発行済み');
    await row.getByRole('button', { name: '解除を申請' }).click();
    await row.getByText('別のセキュリティ管理者が承認します。').waitFor();
    assert.equal(await row.getByRole('button', { name: '解除を承認' }).count(), 0, 'not own');
    await shot(page, 'console-switch-lift-requested');

    // While sign-in is suspended, the wallet's sign-in form says so in Japanese.
    const on = await p.platform.modules.switches.turnOn(
      { operation: 'login', scope: { type: 'all' }, reason: 'takeover wave' },
      { type: 'cli', id: 'test' },
    );
    const wallet = await context.newPage();
    await wallet.goto(`${p.origin}/wallet#/signin`);
    await wallet.getByLabel('メールアドレスまたは電話番号').fill('hanako@example.com');
    await wallet.getByLabel('パスワード').fill('hanako passphrase 1');
    await wallet.getByRole('button', { name: 'ログイン' }).click();
    await wallet
      .getByText('ログインは、現在Kinkoにより一時停止されています。時間をおいてお試しください。')
      .waitFor();
    await shot(wallet, 'wallet-login-suspended');
    await wallet.close();

    await page.getByRole('button', { name: 'ログアウト' }).click();
    await signIn(page, second);
    const visa = page.locator('tr[data-switch]', { hasText: 'カードブランド: visa' });
    await visa.getByText(/解除を申請: カード再発行済み/).waitFor();
    await visa.getByRole('button', { name: '解除を承認' }).click();
    await page.getByRole('heading', { name: '最近解除されたスイッチ' }).waitFor();
    const lifted = page.locator('tr[data-switch]', { hasText: 'カードブランド: visa' });
    await lifted.getByText(second.email).waitFor();
    // The sign-in switch (turned on from the command line) is still on.
    await page.locator('tr[data-switch]', { hasText: 'ログイン' }).first().waitFor();
    await shot(page, 'console-switch-lifted');
    assert.deepEqual(problems, []);
    assert.ok(on.id.startsWith('sw_'));
  },
);

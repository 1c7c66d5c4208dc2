import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Page } from 'playwright-core';
import { NO_CHROMIUM } from './helpers/browser.ts';
import {
  consoleOperator,
  consoleSignIn,
  shot,
  watch,
  type ConsoleOperator,
} from './helpers/console.ts';
import { startWebPlatformAndBrowser, type WebPlatform } from './helpers/web-platform.ts';

// The console's kill-switch panel, in Japanese as a security team in Tokyo uses it: one
// security admin turns top-ups with Visa cards off and asks for the lift, and cannot approve
// their own request; a second admin approves it, and the switch moves to the history. While
// sign-in is suspended, the wallet says so in plain words.

async function admin(p: WebPlatform, n: number) {
  return consoleOperator(p, 'security_admin', `Security admin ${n}`);
}

async function signIn(page: Page, a: ConsoleOperator): Promise<void> {
  await consoleSignIn(page, a);
  await page.getByRole('link', { name: 'キルスイッチ' }).click();
  await page.getByRole('heading', { name: '現在オン' }).waitFor();
}

test(
  'the console turns a switch on, and two security admins lift it; the wallet says why',
  { skip: NO_CHROMIUM, timeout: 180_000 },
  async (t) => {
    const { p, browser } = await startWebPlatformAndBrowser(t);
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

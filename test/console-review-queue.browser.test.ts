import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import type { Page } from 'playwright-core';
import { launchChromium, NO_CHROMIUM } from './helpers/browser.ts';
import { freePort } from './helpers/free-port.ts';
import { authenticator } from './helpers/identity-factors.ts';
import { balanceOf, payPlatform, walletUser } from './helpers/payments-platform.ts';
import { askTopup, holdTopupsFrom } from './helpers/reviews.ts';

// The review queue in the console, in Chromium and in Japanese: a risk analyst opens a held
// top-up, sees why it was held and the customer's recent activity on one page, approves it
// with a note, and the wallet is credited exactly once. With KINKO_SCREENSHOTS=1 the pages
// are saved under docs/screenshots (console-review-*.png) for a person to look at.

async function screenshot(page: Page, name: string): Promise<void> {
  if (process.env['KINKO_SCREENSHOTS'] !== '1') return;
  const dir = path.join(
    path.dirname(new URL(import.meta.url).pathname),
    '..',
    'docs',
    'screenshots',
  );
  fs.mkdirSync(dir, { recursive: true });
  await page.screenshot({ path: path.join(dir, `console-review-${name}.png`), fullPage: true });
}

test(
  'console: an analyst approves a held top-up and the wallet moves once',
  { skip: NO_CHROMIUM, timeout: 180_000 },
  async () => {
    const p = await payPlatform();
    const port = await freePort();
    await p.app.listen({ port, host: '127.0.0.1' });
    const origin = `http://127.0.0.1:${port}`;
    const browser = await launchChromium();
    try {
      await holdTopupsFrom(p);
      const u = await walletUser(p, 1);
      const t = await askTopup(p, u, 8_000);
      assert.equal(t.status, 'held');
      const email = 'analyst@kinko.example';
      const password = 'risk analyst passphrase';
      const made = await p.identity.createOperator({
        email,
        name: 'Risk analyst',
        role: 'risk_analyst',
        password,
      });
      p.clock.advanceMs(30_000);

      const page = await browser.newPage({ viewport: { width: 1200, height: 1000 } });
      const problems: string[] = [];
      page.on('pageerror', (e) => problems.push(e.message));
      page.on('response', (r) => {
        if (r.status() >= 400) problems.push(`${r.status()}: ${r.url()}`);
      });
      await page.addInitScript(() => localStorage.setItem('kinko.lang', 'ja'));
      await page.goto(`${origin}/console`);
      await page.getByLabel('メールアドレス').fill(email);
      await page.getByLabel('パスワード').fill(password);
      await page
        .getByLabel('認証コード')
        .fill(authenticator(made.totpSecret).code(p.clock.nowMs()));
      await page.getByRole('button', { name: 'ログイン' }).click();
      await page.getByRole('link', { name: '審査キュー' }).click();
      await page.getByRole('heading', { name: '審査キュー' }).waitFor();
      const row = page.locator('tr[data-review]');
      await row.getByText('¥8,000').waitFor();
      await screenshot(page, 'queue');

      await row.getByRole('link').click();
      await page.getByRole('heading', { name: '保留の理由' }).waitFor();
      await page.getByText('いつもの利用額よりかなり大きな金額です。').waitFor();
      await page.getByText('hold_topups_for_review').waitFor();
      // The customer's activity is on the same page: sign-ins, devices, and this top-up.
      await page.getByRole('heading', { name: 'お客様の最近の操作' }).waitFor();
      const topups = page.getByRole('table', { name: 'チャージ' });
      await topups.getByText(t.id).waitFor();
      assert.ok((await page.getByRole('table', { name: 'ログイン' }).locator('tr').count()) >= 1);
      assert.ok((await page.getByRole('table', { name: '登録端末' }).locator('tr').count()) >= 1);
      await screenshot(page, 'held-topup');

      const approve = page.getByRole('button', { name: '承認：カードに請求しチャージする' });
      assert.equal(await approve.isDisabled(), true, 'a note is asked first');
      await page.getByLabel('メモ（理由。監査ログに残ります）').fill('電話で本人確認済み');
      await approve.click();
      await page.getByText('承認しました。チャージの状態：完了').waitFor();
      await page.locator('dd[data-status=approved]').waitFor();
      await page.getByText(/電話で本人確認済み/).waitFor();
      assert.equal(await approve.count(), 0, 'a decided review offers no second approval');
      await screenshot(page, 'approved');

      assert.equal(await balanceOf(p, u), '8000');
      const [moved] = await p.db.sql<{ n: number }[]>`
        select count(*)::int as n from ledger_transfers where user_data = ${'topup:' + t.id}`;
      assert.equal(moved!.n, 1);
      assert.deepEqual(problems, []);
    } finally {
      await browser.close();
      await p.close();
    }
  },
);

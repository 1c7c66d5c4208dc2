import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { launchChromium, NO_CHROMIUM } from './helpers/browser.ts';
import { freePort } from './helpers/free-port.ts';
import { authenticator } from './helpers/identity-factors.ts';
import { balanceOf, payPlatform, walletUser } from './helpers/payments-platform.ts';
import { askTopup, holdTopupsFrom } from './helpers/reviews.ts';
import { holdWebPaymentsFrom, webReviewOf } from './helpers/web-reviews.ts';
import type { PayPlatform } from './helpers/payments-platform.ts';

// The review queue in the console, in Chromium and in Japanese: a risk analyst opens a held
// top-up, sees why it was held and the customer's recent activity on one page, approves it
// with a note, and the wallet is credited exactly once. A merchant's web payment held after
// its authorization shows its merchant, masked card, shopper network and the card's recent
// web payments instead, never the card number; approved, it is captured once. With KINKO_SCREENSHOTS=1 the pages
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

/** Signs a risk analyst in to the console, in Japanese; answers the page. */
async function analystPage(p: PayPlatform, origin: string, browser: Browser, problems: string[]) {
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
  page.on('pageerror', (e) => problems.push(e.message));
  page.on('response', (r) => {
    if (r.status() >= 400) problems.push(`${r.status()}: ${r.url()}`);
  });
  await page.addInitScript(() => localStorage.setItem('kinko.lang', 'ja'));
  await page.goto(`${origin}/console`);
  await page.getByLabel('メールアドレス').fill(email);
  await page.getByLabel('パスワード').fill(password);
  await page.getByLabel('認証コード').fill(authenticator(made.totpSecret).code(p.clock.nowMs()));
  await page.getByRole('button', { name: 'ログイン' }).click();
  return page;
}

/** A merchant's web payment of `amount` with a card the shopper typed from 133.5.6.7. */
async function webPayment(p: PayPlatform, number: string, amount: number) {
  const m = p.merchant;
  const card = await p.modules.card.vault.tokenize({
    number,
    expMonth: 12,
    expYear: 2030,
    merchantId: m.merchantId,
    actor: { type: 'merchant', id: m.merchantId },
    shopperIp: '133.5.6.7',
  });
  const post = async (url: string, payload: object) => {
    const res = await p.app.inject({
      method: 'POST',
      url,
      headers: {
        authorization: `Bearer ${m.secretKey}`,
        'idempotency-key': `${url}:${amount}:${card.token}`,
      },
      payload,
    });
    assert.ok(res.statusCode < 300, res.body);
    return res.json() as { id: string; status: string };
  };
  const created = await post('/v1/payments', {
    amount,
    currency: 'JPY',
    payment_method: card.token,
  });
  return post(`/v1/payments/${created.id}/confirm`, {});
}

test(
  'console: an analyst approves a held web payment, seeing only the masked card',
  { skip: NO_CHROMIUM, timeout: 180_000 },
  async () => {
    const p = await payPlatform();
    const port = await freePort();
    await p.app.listen({ port, host: '127.0.0.1' });
    const browser = await launchChromium();
    try {
      await holdWebPaymentsFrom(p);
      const number = '5555555555554444';
      assert.equal((await webPayment(p, number, 1_500)).status, 'succeeded');
      const held = await webPayment(p, number, 45_000);
      assert.equal(held.status, 'requires_review');
      const problems: string[] = [];
      const page = await analystPage(p, `http://127.0.0.1:${port}`, browser, problems);
      await page.getByRole('link', { name: '審査キュー' }).click();
      const row = page.locator('tr[data-review]');
      await row.getByText('¥45,000').waitFor();
      await row.getByText('カードでのWeb決済').waitFor();
      await row.getByText(p.merchant.merchantId).waitFor();
      await row.getByRole('link').click();

      await page.getByRole('heading', { name: '保留の理由' }).waitFor();
      await page.getByText('web_review_large').waitFor();
      await page.getByRole('heading', { name: 'Web決済の内容' }).waitFor();
      await page.getByText(/^Yamada Shoten mer_/).waitFor();
      assert.equal(await page.getByTestId('card').textContent(), 'mastercard •••• 4444');
      await page.locator('.web-payment').getByText('133.5.6.0/24').waitFor();
      const history = page.getByRole('table', { name: 'このカードの最近のWeb決済' });
      assert.equal(await history.locator('tr').count(), 2);
      await history.getByText('¥1,500').waitFor();
      // No customer section for a shopper who is no Kinko customer; never the card number.
      assert.equal(await page.getByRole('heading', { name: 'お客様の最近の操作' }).count(), 0);
      const text = (await page.textContent('body')) ?? '';
      assert.doesNotMatch(text, /5555555555554444|555555/);
      await screenshot(page, 'held-web-payment');

      const approve = page.getByRole('button', {
        name: '承認：決済を進める（売上確定、または加盟店による確定待ち）',
      });
      await page.getByLabel('メモ（理由。監査ログに残ります）').fill('加盟店に確認済み');
      await approve.click();
      await page.getByText('承認しました。決済の状態：売上確定').waitFor();
      await page.locator('dd[data-status=approved]').waitFor();
      assert.equal(await approve.count(), 0, 'a decided review offers no second approval');

      assert.equal((await webReviewOf(p, held.id)).status, 'approved');
      const [moved] = await p.db.sql<{ posts: number; captured: string }[]>`
        select
          (select count(*)::int from ledger_transfers
            where user_data = ${held.id} and flags & 4 = 4) as posts,
          (select captured_minor::text from acquirer_authorizations
            where attempt_id = ${held.id}) as captured`;
      assert.deepEqual({ ...moved }, { posts: 1, captured: '45000' });
      assert.deepEqual(problems, []);
    } finally {
      await browser.close();
      await p.close();
    }
  },
);

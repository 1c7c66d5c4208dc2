import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import type { Page } from 'playwright-core';
import { launchChromium, NO_CHROMIUM } from './helpers/browser.ts';
import { freePort } from './helpers/free-port.ts';
import { dashboardSignIn, ownerOf } from './helpers/merchant-team.ts';
import {
  fundWallet,
  idem,
  issueCode,
  payPlatform,
  registerPay,
  walletPost,
  walletUser,
  type PayPlatform,
} from './helpers/payments-platform.ts';

// The merchant's day in the dashboard, in Chromium and in Japanese: register and store QR
// sales are listed, a refund asks for confirmation with the exact amount (a blank amount is
// the whole remainder, spelled out), an over-refund is named with what is still refundable —
// both when the page catches it and when the server does (another refund happened
// meanwhile) — and Refunds and Balance show every movement. With KINKO_SCREENSHOTS=1 the
// pages are saved under docs/screenshots (dashboard-*.png) for a person to look at.

async function screenshot(page: Page, name: string): Promise<void> {
  if (process.env['KINKO_SCREENSHOTS'] !== '1') return;
  const dir = path.join(
    path.dirname(new URL(import.meta.url).pathname),
    '..',
    'docs',
    'screenshots',
  );
  fs.mkdirSync(dir, { recursive: true });
  await page.screenshot({ path: path.join(dir, `dashboard-${name}.png`), fullPage: true });
}

async function sales(p: PayPlatform): Promise<{ big: string; ids: string[] }> {
  const u = await walletUser(p, 1);
  await fundWallet(p, u, 10_000);
  const ids: string[] = [];
  for (const amount of [1200, 800]) {
    const paid = await registerPay(p, await issueCode(p, u), amount);
    assert.equal(paid.statusCode, 200, paid.body);
    ids.push(paid.json().id as string);
  }
  const qr = await p.app.inject({
    method: 'GET',
    url: `/v1/stores/${p.merchant.store!.id}/qr`,
    headers: { authorization: `Bearer ${p.merchant.secretKey}` },
  });
  const pay = await walletPost(p, u, '/v1/wallet/store_payments', 'payment_code', {
    payload: qr.json().payload,
    amount: 300,
  });
  assert.equal(pay.statusCode, 200, pay.body);
  ids.push(pay.json().id as string);
  return { big: ids[0]!, ids };
}

test(
  'dashboard: register sales listed, refunds confirmed and named, balance complete',
  {
    skip: NO_CHROMIUM,
  },
  async () => {
    const p = await payPlatform();
    const port = await freePort();
    await p.app.listen({ port, host: '127.0.0.1' });
    const origin = `http://127.0.0.1:${port}`;
    const browser = await launchChromium();
    try {
      const { big, ids } = await sales(p);
      const page = await browser.newPage({ viewport: { width: 1100, height: 900 } });
      const problems: string[] = [];
      page.on('pageerror', (e) => problems.push(e.message));
      await page.addInitScript(() => localStorage.setItem('kinko.lang', 'ja'));
      // Signed in as the merchant's owner: email, password and authenticator code.
      const owner = await ownerOf(p, p.merchant.merchantId);
      await dashboardSignIn(page, p, origin, owner);

      await page.goto(`${origin}/dashboard#/code-payments`);
      const rows = page.locator('[data-testid=code-payments] tbody tr');
      await rows.nth(2).waitFor();
      assert.equal(await rows.count(), 3);
      assert.deepEqual(
        await page.locator('[data-testid=code-payments] tbody tr td:first-child').allInnerTexts(),
        [...ids].reverse(),
      );
      await screenshot(page, 'code-payments');

      await page.locator(`a[href="#/code-payments/${big}"]`).click();
      const amount = page.locator('#f-amount');
      await amount.waitFor();
      // The page catches an amount above what is left, and says how much that is.
      await amount.fill('2,000');
      await page.getByRole('button', { name: '返金内容を確認' }).click();
      await page.getByText('返金できるのは ¥1,200 までです').waitFor();

      // Meanwhile ¥1,000 is refunded elsewhere; the page still thinks ¥1,200 is left.
      const elsewhere = await p.app.inject({
        method: 'POST',
        url: `/v1/code_payments/${big}/refunds`,
        headers: { authorization: `Bearer ${p.merchant.secretKey}`, ...idem() },
        payload: { amount: 1000 },
      });
      assert.equal(elsewhere.statusCode, 200, elsewhere.body);
      await amount.fill('５００');
      await page.getByRole('button', { name: '返金内容を確認' }).click();
      await page.getByTestId('confirm').getByText('お客様に ¥500 を返金します').waitFor();
      await page.getByRole('button', { name: '¥500 を返金する' }).click();
      await page
        .getByText('返金額が返金可能額を超えています。返金できるのは ¥200 までです。')
        .waitFor();
      assert.equal(await page.getByText('入力内容を確認してください').count(), 0);
      await screenshot(page, 'over-refund');

      // A blank amount is the whole remainder, shown before anything is sent.
      await page.reload();
      await amount.waitFor();
      await page.getByRole('button', { name: '返金内容を確認' }).click();
      await page.getByTestId('confirm').getByText('お客様に ¥200 を返金します').waitFor();
      await screenshot(page, 'refund-confirm');
      assert.equal((await p.db.sql`select 1 from payments_refunds`).length, 1, 'nothing sent yet');
      await page.getByRole('button', { name: '¥200 を返金する' }).click();
      await page.getByText('¥200 を返金しました。').waitFor();
      await page.getByTestId('amount-refunded').getByText('¥1,200').waitFor();

      await page.goto(`${origin}/dashboard#/refunds`);
      await page.locator('[data-testid=refunds] tbody tr').nth(1).waitFor();
      assert.equal(await page.locator('[data-testid=refunds] tbody tr').count(), 2);
      await screenshot(page, 'refunds');

      await page.goto(`${origin}/dashboard#/balance`);
      await page.locator('[data-testid=balance] tbody tr').nth(4).waitFor();
      assert.equal(await page.locator('[data-testid=balance] tbody tr').count(), 5);
      // 1,200 + 800 + 300 − 1,000 − 200
      await page.getByTestId('balance-total').getByText('¥1,100').waitFor();
      await screenshot(page, 'balance');
      assert.deepEqual(problems, []);
    } finally {
      await browser.close();
      await p.close();
    }
  },
);

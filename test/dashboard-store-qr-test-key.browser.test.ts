import { test } from 'node:test';
import assert from 'node:assert/strict';
import { launchChromium, NO_CHROMIUM } from './helpers/browser.ts';
import { freePort } from './helpers/free-port.ts';
import { payPlatform } from './helpers/payments-platform.ts';
import { dashboardSignIn, ownerOf } from './helpers/merchant-team.ts';

// Looking at test data, the dashboard's store page asks for the store QR and is refused
// (customers would pay it with real wallet money). The page says so in plain words, in English
// and in Japanese, instead of claiming the QR API is missing; live data still shows the QR.

test(
  'dashboard: test data is told plainly why the store QR is not shown',
  { skip: NO_CHROMIUM },
  async () => {
    const p = await payPlatform();
    const port = await freePort();
    await p.app.listen({ port, host: '127.0.0.1' });
    const origin = `http://127.0.0.1:${port}`;
    const browser = await launchChromium();
    try {
      const owner = await ownerOf(p, p.merchant.merchantId);
      const cases: [string, string][] = [
        ['en', 'Store QR'],
        ['ja', '店舗 QR'],
      ];
      const said: string[] = [];
      for (const [lang, qrButton] of cases) {
        const page = await browser.newPage();
        await page.addInitScript((l) => {
          localStorage.setItem('kinko.lang', l);
          sessionStorage.setItem('kinko.dashboard.mode', 'test');
        }, lang);
        await dashboardSignIn(page, p, origin, owner);
        await page.goto(`${origin}/dashboard#/stores`);
        await page.getByRole('button', { name: qrButton }).click();
        said.push(await page.getByTestId('store-qr-missing').innerText());
        assert.equal(await page.getByTestId('store-qr').count(), 0);
        await page.close();
      }
      assert.match(said[0]!, /Test data cannot show it; untick “Test data”/);
      assert.match(
        said[1]!,
        /テストデータでは表示できません。「テストデータ」のチェックを外してください。/,
      );

      const page = await browser.newPage();
      await dashboardSignIn(page, p, origin, owner);
      await page.goto(`${origin}/dashboard#/stores`);
      await page.getByRole('button', { name: /Store QR|店舗 QR/ }).click();
      await page.getByTestId('store-qr').waitFor();
    } finally {
      await browser.close();
      await p.close();
    }
  },
);

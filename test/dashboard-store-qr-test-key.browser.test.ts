import { test } from 'node:test';
import assert from 'node:assert/strict';
import { launchChromium, NO_CHROMIUM } from './helpers/browser.ts';
import { freePort } from './helpers/free-port.ts';
import { payPlatform } from './helpers/payments-platform.ts';

// Signed in with a test key, the dashboard's store page asks for the store QR and is refused
// (customers would pay it with real wallet money). The page says so in plain words, in English
// and in Japanese, instead of claiming the QR API is missing; a live key still shows the QR.

test(
  'dashboard: a test key is told plainly why the store QR is not shown',
  { skip: NO_CHROMIUM },
  async () => {
    const p = await payPlatform();
    const port = await freePort();
    await p.app.listen({ port, host: '127.0.0.1' });
    const origin = `http://127.0.0.1:${port}`;
    const browser = await launchChromium();
    try {
      const { value: testKey } = await p.modules.merchants.createApiKey(
        p.merchant.merchantId,
        { kind: 'secret', mode: 'test' },
        { type: 'cli' },
      );
      const cases: [string, string, string, string][] = [
        ['en', testKey, 'Sign in', 'Store QR'],
        ['ja', testKey, 'ログイン', '店舗 QR'],
      ];
      const said: string[] = [];
      for (const [lang, key, signIn, qrButton] of cases) {
        const page = await browser.newPage();
        await page.addInitScript((l) => localStorage.setItem('kinko.lang', l), lang);
        await page.goto(`${origin}/dashboard`);
        await page.locator('#f-secret_key').fill(key);
        await page.getByRole('button', { name: signIn }).click();
        await page.goto(`${origin}/dashboard#/stores`);
        await page.getByRole('button', { name: qrButton }).click();
        said.push(await page.getByTestId('store-qr-missing').innerText());
        assert.equal(await page.getByTestId('store-qr').count(), 0);
        await page.close();
      }
      assert.match(said[0]!, /test key cannot show it; sign in with a live key/);
      assert.match(said[1]!, /テストキーでは表示できません。ライブキーでログインしてください。/);

      const page = await browser.newPage();
      await page.goto(`${origin}/dashboard`);
      await page.locator('#f-secret_key').fill(p.merchant.secretKey);
      await page.getByRole('button', { name: /Sign in|ログイン/ }).click();
      await page.goto(`${origin}/dashboard#/stores`);
      await page.getByRole('button', { name: /Store QR|店舗 QR/ }).click();
      await page.getByTestId('store-qr').waitFor();
    } finally {
      await browser.close();
      await p.close();
    }
  },
);

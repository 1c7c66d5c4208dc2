import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import fs from 'node:fs';
import * as age from 'age-encryption';
import type { Page } from 'playwright-core';
import { NO_CHROMIUM } from './helpers/browser.ts';
import { EXPORT_PANS } from './helpers/card-export.ts';
import {
  consoleOperator,
  consoleSignIn,
  scopedIncident,
  shot,
  watch,
  type ConsoleOperator,
} from './helpers/console.ts';
import * as seed from './helpers/scope-seed.ts';
import { startWebPlatformAndBrowser, type WebPlatform } from './helpers/web-platform.ts';

// The console's card export, in Japanese: a security admin requests an export of the incident's
// cards for the card company's age key and is not offered its approval; a second security
// admin approves it and downloads the file, which decrypts with the card company's identity to
// exactly the incident's cards. No card number reaches the screen or any answer the page
// reads; an analyst does not see the section at all.

const TITLE = 'テイクオーバーによるカードチャージ';

/** Three customers who topped up with a vault card from the attackers' network an hour ago. */
async function incidentWithCards(p: WebPlatform): Promise<string> {
  const sql = p.db.owner;
  const { card } = p.platform.modules;
  const at = new Date(Date.now() - 3_600_000);
  for (const [k, c] of EXPORT_PANS.entries()) {
    const customerId = await seed.customer(sql, at);
    const deviceId = randomUUID();
    const { token } = await card.vault.tokenize({
      number: c.pan,
      expMonth: c.expMonth,
      expYear: c.expYear,
      customerId,
      actor: { type: 'system' },
    });
    const [row] = await sql<{ f: string }[]>`
      select encode(fingerprint, 'hex') as f from vault_cards where token = ${token}`;
    await seed.signIn(sql, { customerId, deviceId, ip: `203.0.113.${10 + k}`, at });
    const seedCard = { token, fingerprint: row!.f };
    await seed.topup(sql, { customerId, deviceId, card: seedCard, yen: 30_000, at });
  }
  return scopedIncident(p, {
    kind: 'identity.credential_stuffing',
    severity: 'critical',
    title: TITLE,
    summary: 'Top-ups with linked cards from new devices on one network.',
  });
}

async function openIncident(page: Page, a: ConsoleOperator, id: string): Promise<void> {
  await consoleSignIn(page, a);
  await page.getByRole('link', { name: 'インシデント一覧' }).click();
  await page.locator(`tr[data-incident="${id}"]`).getByRole('link').click();
  await page.getByRole('heading', { name: TITLE }).waitFor();
}

/** Every way a card number could be written on a page or in an answer. */
const spellings = (pan: string) => [
  pan,
  pan.match(/.{4}/g)!.join(' '),
  pan.match(/.{4}/g)!.join('-'),
];

test(
  'a security admin requests a card export; a second approves and downloads it',
  { skip: NO_CHROMIUM, timeout: 240_000 },
  async (t) => {
    const { p, browser } = await startWebPlatformAndBrowser(t);
    const first = await consoleOperator(p, 'security_admin', 'Kenji Sato');
    const second = await consoleOperator(p, 'security_admin', 'Mai Ito');
    const analyst = await consoleOperator(p, 'risk_analyst', 'Aiko Tanaka');
    const id = await incidentWithCards(p);
    const identity = await age.generateIdentity();
    const recipient = await age.identityToRecipient(identity);

    const context = await browser.newContext({ locale: 'ja-JP', acceptDownloads: true });
    const page = await context.newPage();
    await page.setViewportSize({ width: 1280, height: 1000 });
    const problems = watch(page);
    // Every answer the page reads, to check that no card number is in any of them.
    const answers: Promise<string>[] = [];
    page.on('response', (r) => {
      if (!/card-exports\/[^/]+\/file$/.test(r.url())) answers.push(r.text().catch(() => ''));
    });
    const onScreen = () => page.evaluate(() => document.body.innerText + document.body.outerHTML);

    await page.goto(`${p.origin}/console`);
    await openIncident(page, first, id);
    const section = page.locator('section.card-exports');
    await section.getByLabel('カード会社の age 公開鍵').fill(recipient);
    await section.getByLabel('理由').fill('カード会社から再発行のため番号の提供依頼');
    await section.getByRole('button', { name: 'エクスポートを依頼' }).click();
    const item = section.locator('li[data-export]').first();
    await section.locator('li[data-state="requested"]').waitFor();
    await item.getByText('別のセキュリティ管理者の承認待ちです。').waitFor();
    await item.getByText('Kenji Sato（自分）').waitFor();
    assert.equal(await item.getByRole('button', { name: '承認して暗号化' }).count(), 0);
    assert.equal(await item.locator('dd[data-cards]').textContent(), String(EXPORT_PANS.length));
    await page.locator('ol.timeline li[data-kind="card_export.requested"]').waitFor();
    await shot(page, 'console-card-export-requested');

    await page.getByRole('button', { name: 'ログアウト' }).click();
    await openIncident(page, second, id);
    await item.getByRole('button', { name: '承認して暗号化' }).click();
    await section.locator('li[data-state="approved"]').waitFor();
    const sha256 = (await item.locator('dd.digest').textContent()) ?? '';
    assert.match(sha256, /^[0-9a-f]{64}$/);
    const [download] = await Promise.all([
      page.waitForEvent('download'),
      item.getByRole('button', { name: '暗号化ファイルをダウンロード（残り3回）' }).click(),
    ]);
    assert.match(download.suggestedFilename(), /^kinko-cards-cexp_[\w-]+\.csv\.age$/);
    const file = fs.readFileSync((await download.path())!);
    const d = new age.Decrypter();
    d.addIdentity(identity);
    const csv = await d.decrypt(file, 'text');
    const pans = csv
      .trim()
      .split('\n')
      .slice(1)
      .map((line) => line.split(',')[0]);
    assert.deepEqual(pans.sort(), EXPORT_PANS.map((c) => c.pan).sort());
    await item.locator('dd[data-downloads]').getByText('1 / 3').waitFor();
    await item.getByText('ダウンロードしました。', { exact: false }).waitFor();
    await shot(page, 'console-card-export-approved');

    const screen = await onScreen();
    const read = (await Promise.all(answers)).join('\n');
    for (const c of EXPORT_PANS) {
      for (const s of spellings(c.pan)) {
        assert.ok(!screen.includes(s), `a card number on the screen (${c.brand})`);
        assert.ok(!read.includes(s), `a card number in an answer the page read (${c.brand})`);
      }
    }

    await page.getByRole('button', { name: 'ログアウト' }).click();
    await openIncident(page, analyst, id);
    await page.getByText('このインシデントで操作した停止スイッチ').waitFor();
    assert.equal(await page.locator('section.card-exports').count(), 0, 'security admins only');
    assert.deepEqual(problems, []);
  },
);

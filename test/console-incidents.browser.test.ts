import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import type { Page } from 'playwright-core';
import { NO_CHROMIUM } from './helpers/browser.ts';
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

// The console's incident pages, in Japanese: a risk analyst finds an incident a detector
// raised, contains it with a reason, writes a note, runs the scope from indicators and sees
// the customer and merchant it reached, sends the notices and watches their delivery state,
// and proposes compensation, which only a second operator can approve; then the posted total
// stands against the loss. The timeline names operators. Support can only read.

async function signIn(page: Page, a: ConsoleOperator): Promise<void> {
  await consoleSignIn(page, a);
  await page.getByRole('link', { name: 'インシデント一覧' }).click();
  await page.getByRole('heading', { name: 'インシデント管理' }).waitFor();
}

function raise(p: WebPlatform): Promise<string> {
  return scopedIncident(p, {
    kind: 'vault.pan_discovered',
    severity: 'high',
    title: 'ログにカード番号らしき文字列',
    summary: 'A log line looked like a card number.',
  });
}

/** A customer who signed in from the attackers' network and paid the demo shop ¥25,000. */
async function victim(p: WebPlatform): Promise<void> {
  const sql = p.db.owner;
  const at = new Date(Date.now() - 3_600_000);
  const customerId = await seed.customer(sql, at);
  const deviceId = randomUUID();
  await seed.signIn(sql, { customerId, deviceId, ip: '203.0.113.7', at });
  const place = { merchantId: p.demo.merchantId, storeId: p.demo.storeId };
  await seed.payment(sql, { customerId, deviceId, ...place, yen: 25_000, at });
}

async function openIncident(page: Page, id: string): Promise<void> {
  await page.locator(`tr[data-incident="${id}"]`).getByRole('link').click();
  await page.getByRole('heading', { name: 'ログにカード番号らしき文字列' }).waitFor();
}

test(
  'an analyst contains an incident, scopes, notifies and proposes; a second one approves',
  { skip: NO_CHROMIUM, timeout: 240_000 },
  async (t) => {
    const { p, browser } = await startWebPlatformAndBrowser(t);
    const analyst = await consoleOperator(p, 'risk_analyst', 'Aiko Tanaka');
    const admin = await consoleOperator(p, 'security_admin', 'Kenji Sato');
    const support = await consoleOperator(p, 'support', 'Yui Mori');
    const id = await raise(p);
    await victim(p);
    const page = await (await browser.newContext({ locale: 'ja-JP' })).newPage();
    await page.setViewportSize({ width: 1280, height: 1000 });
    // The analyst's own approval is refused by name; that refusal is expected, nothing else.
    const problems = watch(page, [/\/approve\b/, /status of 409/]);
    await page.goto(`${p.origin}/console`);
    await signIn(page, analyst);
    const row = page.locator(`tr[data-incident="${id}"]`);
    await row.getByText('対応中').waitFor();
    await row.getByText('高', { exact: true }).waitFor();
    await shot(page, 'console-incidents-list');

    await openIncident(page, id);
    await page.getByLabel('変更の理由（任意）').fill('該当ログを削除し出力を停止');
    await page.getByRole('button', { name: '「封じ込め済み」にする' }).click();
    await page.locator('dd[data-status="contained"]').waitFor();
    assert.equal(await page.getByRole('button', { name: '「対応中」にする' }).count(), 0);
    await page.getByLabel('タイムラインへのメモ').fill('ログ基盤チームに保存期間を確認中');
    await page.getByRole('button', { name: 'メモを追加' }).click();
    const newest = page.locator('ol.timeline li').first();
    await newest.getByText('ログ基盤チームに保存期間を確認中').waitFor();
    assert.equal(await newest.getAttribute('data-kind'), 'note');
    await newest.getByText('Aiko Tanaka').waitFor();
    const status = page.locator('ol.timeline li[data-kind="status_changed"]');
    await status.getByText('対応中 → 封じ込め済み: 該当ログを削除し出力を停止').waitFor();

    // Scope: run it again from the form; the victim and the demo shop are in it.
    await page.getByLabel('接続元ネットワーク（CIDR）').fill('203.0.113.0/24');
    await page.getByRole('button', { name: '影響範囲を調査' }).click();
    await page.getByText('第2回', { exact: false }).waitFor();
    assert.equal(await page.locator('dd[data-total="customers"]').textContent(), '1');
    assert.equal(await page.locator('dd[data-total="merchants"]').textContent(), '1');
    await page.locator('ul[data-list="merchants"]').getByText(p.demo.merchantId).waitFor();
    await page.getByRole('link', { name: 'すべてをエクスポート（JSON）' }).waitFor();

    // Notices: the customer's email and SMS and the shop's webhook event.
    await page.getByLabel('案内する問い合わせ窓口（電話番号・受付時間）').fill('0120-000-000');
    await page.getByRole('button', { name: '通知を送信' }).click();
    await page.locator('ul.notice-list li').nth(2).waitFor();
    await page.getByRole('table', { name: '配信状態ごとの通知数' }).waitFor();

    // Compensation: proposed here, refused to its proposer.
    await page.getByRole('button', { name: '最新の調査結果から補償を起案' }).click();
    const proposal = page.locator('ul.proposals li').first();
    await proposal.getByText('Aiko Tanaka').waitFor();
    await proposal.getByRole('button', { name: '承認して入金' }).click();
    await page.locator('.compensation .notice').first().waitFor();
    await page.getByText('このインシデントで操作した停止スイッチ').waitFor();
    await shot(page, 'console-incident-response');

    await page.getByRole('button', { name: 'ログアウト' }).click();
    await signIn(page, admin);
    await openIncident(page, id);
    await page
      .locator('ul.proposals li')
      .first()
      .getByRole('button', { name: '承認して入金' })
      .click();
    await page.locator('ul.proposals li').first().getByText('入金済み').waitFor();
    await page.locator('dd[data-total="compensated"]').getByText('25,000').waitFor();
    await page.locator('dd[data-total="lost"]').getByText('25,000').waitFor();
    await shot(page, 'console-incident-compensated');

    await page.getByRole('button', { name: 'ログアウト' }).click();
    await signIn(page, support);
    await openIncident(page, id);
    await page.getByText('閲覧のみ: このロールではインシデントを変更できません。').waitFor();
    await page.getByText('ログ基盤チームに保存期間を確認中').waitFor();
    assert.equal(await page.getByRole('button', { name: 'メモを追加' }).count(), 0);
    assert.equal(await page.getByRole('button', { name: '通知を送信' }).count(), 0);
    assert.equal(await page.getByRole('button', { name: '承認して入金' }).count(), 0);
    assert.equal(await page.getByRole('link', { name: '印刷用ページ' }).count(), 0);
    await shot(page, 'console-incident-read-only');
    assert.deepEqual(problems, []);
  },
);

import { test } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import type { Page } from 'playwright-core';
import { launchChromium, NO_CHROMIUM } from './helpers/browser.ts';
import { authenticator } from './helpers/identity-factors.ts';
import { startWebPlatform, type WebPlatform } from './helpers/web-platform.ts';

// The console's incident pages, in Japanese: a risk analyst finds an incident a detector
// raised, contains it with a reason, writes a note and reads both at the top of the
// timeline; the latest scope run's totals and exports and the report downloads are there.
// Support opens the same incident and can only read it.

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

async function operator(p: WebPlatform, role: 'risk_analyst' | 'support') {
  const email = `${role}@kinko.example`;
  const password = `${role} password for incidents`;
  const input = { email, name: role, role };
  const made = await p.platform.modules.identity.createOperator({ ...input, password });
  return { email, password, secret: made.totpSecret };
}

async function signIn(page: Page, a: Awaited<ReturnType<typeof operator>>): Promise<void> {
  await page.getByLabel('メールアドレス').fill(a.email);
  await page.getByLabel('パスワード').fill(a.password);
  await page.getByLabel('認証コード').fill(authenticator(a.secret).code(Date.now()));
  await page.getByRole('button', { name: 'ログイン' }).click();
  await page.getByRole('link', { name: 'インシデント一覧' }).click();
  await page.getByRole('heading', { name: 'インシデント管理' }).waitFor();
}

async function raise(p: WebPlatform): Promise<string> {
  const { incidents } = p.platform.modules;
  const id = await incidents.deps.sql.begin((tx) =>
    incidents.open(tx, {
      kind: 'vault.pan_discovered',
      severity: 'high',
      title: 'ログにカード番号らしき文字列',
      summary: 'A log line looked like a card number.',
    }),
  );
  const now = Date.now();
  await incidents.runScope({
    incidentId: id,
    indicators: {
      from: new Date(now - 86_400_000).toISOString(),
      to: new Date(now).toISOString(),
      ip_ranges: ['203.0.113.0/24'],
    },
    actor: { type: 'system' },
  });
  return id;
}

test(
  'the console lists incidents; an analyst contains one and notes it; support only reads',
  { skip: NO_CHROMIUM, timeout: 180_000 },
  async (t) => {
    const p = await startWebPlatform();
    const browser = await launchChromium();
    t.after(async () => {
      await browser.close();
      await p.close();
    });
    const [analyst, support] = [await operator(p, 'risk_analyst'), await operator(p, 'support')];
    const id = await raise(p);
    const page = await (await browser.newContext({ locale: 'ja-JP' })).newPage();
    await page.setViewportSize({ width: 1280, height: 1000 });
    const problems = watch(page);
    await page.goto(`${p.origin}/console`);
    await signIn(page, analyst);
    const row = page.locator(`tr[data-incident="${id}"]`);
    await row.getByText('対応中').waitFor();
    await row.getByText('高', { exact: true }).waitFor();
    await shot(page, 'console-incidents-list');

    await row.getByRole('link', { name: 'ログにカード番号らしき文字列' }).click();
    await page.getByRole('heading', { name: 'ログにカード番号らしき文字列' }).waitFor();
    await page.getByLabel('変更の理由（任意）').fill('該当ログを削除し出力を停止');
    await page.getByRole('button', { name: '「封じ込め済み」にする' }).click();
    await page.locator('dd[data-status="contained"]').waitFor();
    assert.equal(await page.getByRole('button', { name: '「対応中」にする' }).count(), 0);

    await page.getByLabel('タイムラインへのメモ').fill('ログ基盤チームに保存期間を確認中');
    await page.getByRole('button', { name: 'メモを追加' }).click();
    const newest = page.locator('ol.timeline li').first();
    await newest.getByText('ログ基盤チームに保存期間を確認中').waitFor();
    assert.equal(await newest.getAttribute('data-kind'), 'note');
    const status = page.locator('ol.timeline li[data-kind="status_changed"]');
    await status.getByText('対応中 → 封じ込め済み: 該当ログを削除し出力を停止').waitFor();
    await page.getByText('第1回', { exact: false }).waitFor();
    await page.getByRole('link', { name: 'すべてをエクスポート（JSON）' }).waitFor();
    const notice = page.locator('li[data-report="public_notice"]');
    const html = await notice.getByRole('link', { name: '印刷用ページ' }).getAttribute('href');
    assert.equal(html, `/v1/operator/incidents/${id}/reports/public_notice?format=html&download=true`);
    await shot(page, 'console-incident-contained');

    await page.getByRole('button', { name: 'ログアウト' }).click();
    await signIn(page, support);
    await page.locator(`tr[data-incident="${id}"]`).getByRole('link').click();
    await page.getByText('閲覧のみ: このロールではインシデントを変更できません。').waitFor();
    await page.getByText('ログ基盤チームに保存期間を確認中').waitFor();
    assert.equal(await page.getByRole('button', { name: 'メモを追加' }).count(), 0);
    assert.equal(await page.getByRole('link', { name: '印刷用ページ' }).count(), 0);
    await shot(page, 'console-incident-read-only');
    assert.deepEqual(problems, []);
  },
);

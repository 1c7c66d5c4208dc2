import path from 'node:path';
import type { Page } from 'playwright-core';
import { authenticator } from './identity-factors.ts';
import type { WebPlatform } from './web-platform.ts';

// What every console browser test starts with: an operator of a role, signed in on the
// console's Japanese sign-in form, a watch on the page for errors, and screenshots when
// KINKO_SCREENSHOT_DIR names a folder.

export interface ConsoleOperator {
  email: string;
  password: string;
  secret: string;
  name: string;
}

export async function consoleOperator(
  p: WebPlatform,
  role: 'support' | 'risk_analyst' | 'security_admin',
  name: string,
): Promise<ConsoleOperator> {
  const slug = name.toLowerCase().replace(/[^a-z0-9]+/g, '.');
  const email = `${slug}@kinko.example`;
  const password = `${name} console password`;
  const made = await p.platform.modules.identity.createOperator({ email, name, role, password });
  return { email, password, secret: made.totpSecret, name };
}

/** Fills the sign-in form (password and a fresh TOTP code) and signs in. */
export async function consoleSignIn(page: Page, a: ConsoleOperator): Promise<void> {
  await page.getByLabel('メールアドレス').fill(a.email);
  await page.getByLabel('パスワード').fill(a.password);
  await page.getByLabel('認証コード').fill(authenticator(a.secret).code(Date.now()));
  await page.getByRole('button', { name: 'ログイン' }).click();
}

/** Console errors, warnings, page errors and HTTP answers of 400 or more, as they come. */
export function watch(page: Page, allowed: readonly RegExp[] = []): string[] {
  const problems: string[] = [];
  const add = (text: string) => {
    if (!allowed.some((re) => re.test(text))) problems.push(text);
  };
  page.on('console', (m) => {
    if (m.type() === 'error' || m.type() === 'warning') add(`console: ${m.text()}`);
  });
  page.on('pageerror', (e) => add(`pageerror: ${e.message}`));
  page.on('response', (r) => {
    if (r.status() >= 400) add(`${r.status()}: ${r.url()}`);
  });
  return problems;
}

export async function shot(page: Page, name: string): Promise<void> {
  const dir = process.env['KINKO_SCREENSHOT_DIR'];
  if (dir) await page.screenshot({ path: path.join(dir, `${name}.png`), fullPage: true });
}

/**
 * Opens an incident as its detector would and runs its scope over the last day's sign-ins
 * from 203.0.113.0/24 (the attackers' network of the console tests); returns its id.
 */
export async function scopedIncident(
  p: WebPlatform,
  input: { kind: string; severity: 'high' | 'critical'; title: string; summary: string },
): Promise<string> {
  const { incidents } = p.platform.modules;
  const id = await incidents.deps.sql.begin((tx) => incidents.open(tx, input));
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

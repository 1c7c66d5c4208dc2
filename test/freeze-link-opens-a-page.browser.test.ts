import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Page } from 'playwright-core';
import { NO_CHROMIUM } from './helpers/browser.ts';
import { deviceKey } from './helpers/identity-harness.ts';
import {
  lastMailedCode,
  startWebPlatformAndBrowser,
  type WebPlatform,
} from './helpers/web-platform.ts';

// The "this was not me" link of a security notice (here: the one after an account recovery,
// which a thief who took over the mailbox would trigger) is the victim's way to stop the
// account at once. Followed in a browser, as the victim would, it must open a page that
// freezes the account: it led to a 404 before, so the link froze nothing. The same link,
// followed again, is refused in plain words.

const EMAIL = 'hanako@example.com';
const PHONE = '+819012345678';

async function post(p: WebPlatform, url: string, body: object, token?: string) {
  const res = await fetch(`${p.origin}${url}`, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      ...(token ? { authorization: `Bearer ${token}` } : {}),
    },
    body: JSON.stringify(body),
  });
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
}

/** Signs a customer up, then recovers the account: the notice carries the freeze link. */
async function recoveredAccount(p: WebPlatform): Promise<string> {
  const started = await post(p, '/v1/identity/signup', {
    email: EMAIL,
    phone: PHONE,
    password: 'hanako passphrase 1',
  });
  assert.equal(started.status, 202);
  const done = await post(p, '/v1/identity/signup/verify', {
    signup_id: started.body['signup_id'],
    email_code: await lastMailedCode(p, EMAIL),
    phone_code: await lastMailedCode(p, PHONE),
    device: { name: 'phone', public_key: deviceKey().publicJwk },
  });
  assert.equal(done.status, 201, JSON.stringify(done.body));
  const recovery = await post(p, '/v1/identity/recovery', { identifier: EMAIL });
  const id = recovery.body['recovery_id'];
  const verified = await post(p, '/v1/identity/recovery/verify', {
    recovery_id: id,
    code: await sentTo(p, EMAIL, RECOVERY_CODE_RE),
  });
  assert.equal(verified.status, 200, JSON.stringify(verified.body));
  const completed = await post(p, '/v1/identity/recovery/complete', {
    recovery_id: id,
    new_password: 'a new fine passphrase',
    phone_code: await sentTo(p, PHONE, RECOVERY_CODE_RE),
  });
  assert.equal(completed.status, 200, JSON.stringify(completed.body));
  return completed.body['session_token'] as string;
}

/** The first match of `re` in the messages sent to `address`, newest first, once it came. */
async function sentTo(p: WebPlatform, address: string, re: RegExp): Promise<string> {
  for (let i = 0; i < 50; i++) {
    const res = await fetch(`${p.origin}/dev/mailbox?to=${encodeURIComponent(address)}`);
    const { messages } = (await res.json()) as { messages: { text: string }[] };
    const found = messages.map((m) => re.exec(m.text)?.[1]).find(Boolean);
    if (found) return found;
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(`nothing like ${re} sent to ${address}`);
}

const RECOVERY_CODE_RE = /recovery code is (\d{6,8})\b/;

function watch(page: Page): string[] {
  const problems: string[] = [];
  page.on('console', (m) => {
    if (m.type() === 'error') problems.push(`console: ${m.text()}`);
  });
  page.on('pageerror', (e) => problems.push(`pageerror: ${e.message}`));
  page.on('response', (r) => {
    if (r.status() >= 400) problems.push(`${r.status()}: ${r.url()}`);
  });
  return problems;
}

test(
  "a notice's freeze link, followed in a browser, freezes the account; followed again, says so",
  { skip: NO_CHROMIUM, timeout: 180_000 },
  async (t) => {
    const { p, browser } = await startWebPlatformAndBrowser(t);
    const session = await recoveredAccount(p);
    const emailLink = await sentTo(p, EMAIL, /(https?:\/\/\S+#token=[A-Za-z0-9_-]+)/);
    assert.ok(emailLink.startsWith(`${p.origin}/`), emailLink);
    const context = await browser.newContext({ locale: 'en-US' });
    const page = await context.newPage();
    const problems = watch(page);
    await page.goto(emailLink);
    // The token leaves the address bar before anything is pressed.
    await page.getByRole('button', { name: 'Freeze my account' }).waitFor();
    assert.ok(!page.url().includes('token'), page.url());
    await page.getByRole('button', { name: 'Freeze my account' }).click();
    await page.getByText('Your account is frozen').waitFor();
    assert.deepEqual(problems, [], 'the page loads and freezes cleanly');
    const state = await fetch(`${p.origin}/v1/wallet`, {
      headers: { authorization: `Bearer ${session}` },
    });
    assert.equal(state.status, 401, 'the thief’s session ended with the freeze');
    const frozen = await p.db.sql<{ status: string }[]>`
      select status from identity_customers where email = ${EMAIL}`;
    assert.equal(frozen[0]?.status, 'frozen');
    // Spent now, and the page says so.
    const again = await context.newPage();
    await again.goto(emailLink);
    await again.getByRole('button', { name: 'Freeze my account' }).click();
    await again.getByText('This link was already used or has expired').waitFor();
  },
);

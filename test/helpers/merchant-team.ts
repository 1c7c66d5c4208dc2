import assert from 'node:assert/strict';
import type { TestPlatform } from './platform.ts';
import { authenticator, type Authenticator } from './identity-factors.ts';

// Merchant people in tests: accept an invitation link (password, then a code from the new
// authenticator), sign in, and call the dashboard's routes with the session cookie.

export const COOKIE = '__Host-kinko_merchant';

export interface Person {
  email: string;
  password: string;
  app: Authenticator;
  cookie: string;
  recoveryCodes: string[];
  personId: string;
}

export const tokenOfLink = (link: string) => /#\/invite\/(kmi_[A-Za-z0-9_-]+)/.exec(link)![1]!;

export function cookieOf(res: { headers: Record<string, unknown> }): string {
  const set = String(res.headers['set-cookie'] ?? '');
  const value = new RegExp(`${COOKIE}=([^;]*)`).exec(set)?.[1];
  assert.ok(value, `no session cookie in ${set}`);
  return `${COOKIE}=${value}`;
}

/** Moves the clock to the next TOTP step, so a new code is never a replay of the last. */
export function nextStep(p: TestPlatform): void {
  p.clock.advanceMs(30_000);
}

export async function accept(
  p: TestPlatform,
  link: string,
  email: string,
  password = `${email} passphrase`,
): Promise<Person> {
  const token = tokenOfLink(link);
  const start = await p.app.inject({
    method: 'POST',
    url: '/v1/dashboard/invitation/start',
    payload: { token, password },
  });
  assert.equal(start.statusCode, 200, start.body);
  assert.equal(start.headers['set-cookie'], undefined, 'step 1 signs nobody in');
  const app = authenticator(start.json().totp_secret);
  const done = await p.app.inject({
    method: 'POST',
    url: '/v1/dashboard/invitation/confirm',
    payload: { token, totp_code: app.code(p.clock.nowMs()) },
  });
  assert.equal(done.statusCode, 200, done.body);
  nextStep(p);
  return {
    email,
    password,
    app,
    cookie: cookieOf(done),
    recoveryCodes: done.json().recovery_codes,
    personId: done.json().person_id,
  };
}

export async function signIn(p: TestPlatform, who: Person, remoteAddress = '10.1.2.3') {
  const res = await p.app.inject({
    method: 'POST',
    url: '/v1/dashboard/login',
    remoteAddress,
    payload: { email: who.email, password: who.password, totp_code: who.app.code(p.clock.nowMs()) },
  });
  nextStep(p);
  return res;
}

/** The newest invitation link sent to `email` (through the outbox to the dev mailbox). */
export async function invitationLinkSentTo(p: TestPlatform, email: string): Promise<string> {
  await p.jobs.deliverNotices();
  const res = await p.app.inject({
    method: 'GET',
    url: `/dev/mailbox?to=${encodeURIComponent(email)}`,
  });
  const texts = (res.json() as { messages: { text: string }[] }).messages.map((m) => m.text);
  const link = texts
    .map((t) => /(http\S+#\/invite\/kmi_[A-Za-z0-9_-]+)/.exec(t)?.[1])
    .find(Boolean);
  assert.ok(link, `no invitation sent to ${email}`);
  return link;
}

/** An owner invites `email` as `role`; the invited person accepts from the emailed link. */
export async function invite(
  p: TestPlatform,
  by: Person,
  email: string,
  role: string,
  storeIds?: string[],
): Promise<Person> {
  const res = await p.app.inject({
    method: 'POST',
    url: '/v1/team/invitations',
    headers: { cookie: by.cookie },
    payload: { email, role, ...(storeIds ? { store_ids: storeIds } : {}) },
  });
  assert.equal(res.statusCode, 201, res.body);
  return accept(p, await invitationLinkSentTo(p, email), email);
}

export function as(p: TestPlatform, who: Person | string) {
  const cookie = typeof who === 'string' ? who : who.cookie;
  return (method: 'GET' | 'POST', url: string, payload?: object, headers = {}) =>
    p.app.inject({
      method,
      url,
      headers: { cookie, ...headers },
      ...(payload === undefined ? {} : { payload }),
    });
}

/** The merchant's owner, invited and accepted through the API (for tests that start there). */
export async function ownerOf(p: TestPlatform, merchantId: string, email = 'owner@shop.example') {
  const { link } = await p.modules.merchants.inviteOwner(merchantId, email);
  return accept(p, link, email);
}

interface BrowserPage {
  goto(url: string): Promise<unknown>;
  locator(selector: string): { fill(value: string): Promise<void>; waitFor(): Promise<void> };
  getByRole(role: 'button', options: { name: string | RegExp }): { click(): Promise<void> };
}

/** Signs `who` in on the dashboard's page: email, password and the authenticator's code. */
export async function dashboardSignIn(
  page: BrowserPage,
  p: TestPlatform,
  origin: string,
  who: Person,
): Promise<void> {
  await page.goto(`${origin}/dashboard`);
  await page.locator('#f-email').fill(who.email);
  await page.locator('#f-password').fill(who.password);
  await page.locator('#f-totp_code').fill(who.app.code(p.clock.nowMs()));
  nextStep(p);
  await page.getByRole('button', { name: /^(Sign in|ログイン)$/ }).click();
  await page.locator('nav.tabs').waitFor();
}

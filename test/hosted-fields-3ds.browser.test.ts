import { test } from 'node:test';
import assert from 'node:assert/strict';
import { cardPlatform, type CardPlatform } from './helpers/cards.ts';
import { launchChromium, merchantPage, NO_CHROMIUM, serveSite } from './helpers/browser.ts';
import { freePort } from './helpers/free-port.ts';

// End to end in Chromium: a sample shop on one loopback origin embeds Kinko's hosted card
// fields from another; the cardholder types a card that needs 3-D Secure, passes the
// challenge, and the shop receives a token — and nothing else.

async function platformOnPort(
  merchantOrigin: string,
): Promise<{ p: CardPlatform; origin: string }> {
  const port = await freePort();
  const origin = `http://localhost:${port}`;
  const p = await cardPlatform({ publicOrigin: origin, merchantOrigin });
  await p.app.listen({ host: '127.0.0.1', port });
  return { p, origin };
}

test(
  'hosted fields + 3-D Secure challenge: the shop gets a token, never the card',
  { skip: NO_CHROMIUM, timeout: 90_000 },
  async (t) => {
    // The shop's origin must be known before its merchant is registered.
    const holder = { html: '' };
    const shop = await serveSite(() => holder.html);
    const { p, origin } = await platformOnPort(shop.origin);
    const loader = p.vault.scripts.entry('kinko');
    holder.html = merchantPage(origin, loader.integrity, p.merchant.publishableKey);
    const browser = await launchChromium();
    t.after(async () => {
      await browser.close();
      await shop.close();
      await p.close();
    });
    const page = await browser.newPage();
    const consoleErrors: string[] = [];
    page.on('console', (m) => {
      if (m.type() === 'error') consoleErrors.push(m.text());
    });
    await page.goto(`${shop.origin}/checkout`);
    const fields = page.frameLocator('iframe[title="Card details (Kinko)"]');
    await fields.locator('#number').fill('4000 0000 0000 3220');
    await fields.locator('#exp-month').fill('12');
    await fields.locator('#exp-year').fill('2030');
    await fields.locator('#cvc').fill('123');
    await fields.locator('#submit').click();
    const challenge = fields.frameLocator('#challenge-frame');
    const code = (await challenge.locator('#dev-code').textContent({ timeout: 20_000 }))!.trim();
    assert.match(code, /^\d{6}$/);
    await challenge.locator('#code').fill(code);
    await challenge.locator('#submit').click();
    await page.waitForFunction(
      () => document.getElementById('result')!.textContent!.startsWith('token '),
      undefined,
      { timeout: 20_000 },
    );
    const result = (await page.locator('#result').textContent())!;
    const [, token, brand, last4] = result.split(' ');
    assert.match(token!, /^card_/);
    assert.equal(brand, 'visa');
    assert.equal(last4, '3220');
    // The card exists, verified through an authenticated challenge bound to this session.
    const card = await p.vault.getCard(token!);
    assert.equal(card.deleted, false);
    const [authz] = await p.db.sql`
    select a.status, a.three_ds, c.status as challenge from acquirer_authorizations a
    join acquirer_challenges c on c.authorization_id = a.id where a.card_token = ${token!}`;
    assert.deepEqual(
      { ...authz },
      { status: 'authorized', three_ds: 'challenge', challenge: 'authenticated' },
    );
    // The shop's page and server never saw the card number or the code.
    assert.doesNotMatch(await page.content(), /4000 ?0000 ?0000 ?3220/);
    assert.doesNotMatch(shop.requests.join('\n'), /4000|cvc/);
    const reports = await p.vault.listCspReports();
    assert.deepEqual(reports, [], 'no CSP violation on the honest path');
    assert.deepEqual(
      consoleErrors.filter((e) => !/favicon/.test(e)),
      [],
    );
  },
);

test(
  "on a phone: a decline reaches the shop as an error code; the next card's 3-D Secure " +
    'check opens as a modal dialog in view, with the focus, and the old error cleared',
  { skip: NO_CHROMIUM, timeout: 90_000 },
  async (t) => {
    const holder = { html: '' };
    const shop = await serveSite(() => holder.html);
    const { p, origin } = await platformOnPort(shop.origin);
    holder.html = merchantPage(
      origin,
      p.vault.scripts.entry('kinko').integrity,
      p.merchant.publishableKey,
    );
    const browser = await launchChromium();
    t.after(async () => {
      await browser.close();
      await shop.close();
      await p.close();
    });
    const page = await browser.newPage({ viewport: { width: 390, height: 664 } });
    await page.goto(`${shop.origin}/checkout`);
    // A shop page with a long order summary: the card fields start below the fold.
    await page.evaluate(() => {
      document.querySelector('h1')!.style.height = '900px';
    });
    const fields = page.frameLocator('iframe[title="Card details (Kinko)"]');
    const type = async (number: string) => {
      await fields.locator('#number').fill(number);
      await fields.locator('#exp-month').fill('12');
      await fields.locator('#exp-year').fill('2030');
      await fields.locator('#cvc').fill('123');
      await fields.locator('#submit').click();
    };
    await type('4000000000000002');
    await page.waitForFunction(
      () => document.getElementById('result')!.textContent!.startsWith('error '),
      undefined,
      { timeout: 20_000 },
    );
    assert.equal(await page.locator('#result').textContent(), 'error card_declined');
    assert.equal(await fields.locator('#error').textContent(), 'The card was declined.');

    await type('4000 0000 0000 3220');
    const challenge = fields.frameLocator('#challenge-frame');
    await challenge.locator('#dev-code').waitFor({ timeout: 20_000 });
    // The shop heard of the check (and cleared its "declined"); the fields cleared theirs.
    assert.equal(await page.locator('#result').textContent(), 'challenge');
    assert.equal(await fields.locator('#error').textContent(), '');
    // The check is a modal dialog holding the focus, and it is on screen.
    const state = await fields.locator('dialog').evaluate((d: HTMLDialogElement) => ({
      modal: d.matches(':modal'),
      focusInside: d.contains(document.activeElement),
      top: d.getBoundingClientRect().top,
      bottom: d.getBoundingClientRect().bottom,
      frameHeight: window.innerHeight,
    }));
    assert.ok(state.modal && state.focusInside, JSON.stringify(state));
    assert.ok(state.top >= 0 && state.bottom <= state.frameHeight, JSON.stringify(state));
    const frameBox = (await page.locator('iframe[title="Card details (Kinko)"]').boundingBox())!;
    assert.ok(frameBox.y >= 0 && frameBox.y + frameBox.height <= 664, JSON.stringify(frameBox));
    assert.equal(
      await challenge.locator('#code').evaluate((el) => document.activeElement === el),
      true,
      'the code field has the focus',
    );
    if (process.env['KINKO_SCREENSHOTS'] === '1') {
      await page.screenshot({ path: 'docs/screenshots/hosted-fields-3ds-phone.png' });
    }
    const code = (await challenge.locator('#dev-code').textContent())!.trim();
    await challenge.locator('#code').fill(code);
    await challenge.locator('#submit').click();
    await page.waitForFunction(
      () => document.getElementById('result')!.textContent!.startsWith('token '),
      undefined,
      { timeout: 20_000 },
    );
    assert.equal(await fields.locator('dialog').evaluate((d: HTMLDialogElement) => d.open), false);
  },
);

import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { TestContext } from 'node:test';
import type { Browser, Page } from 'playwright-core';
import { loadConfig } from '../../src/config.ts';
import { createLogger } from '../../src/lib/log.ts';
import { startPlatform, type Platform } from '../../src/main.ts';
import { launchChromium } from './browser.ts';
import { freePort } from './free-port.ts';
import { createTestDb, type TestDb } from './db.ts';
import { databaseOf } from './platform.ts';

// The whole platform as `npm start` runs it (development mode: demo merchant, dev mailbox,
// card simulator, web apps, background jobs, system clock) on a fresh test database,
// listening on one loopback origin; the same startPlatform as ./platform.ts.

export interface WebPlatform {
  origin: string;
  platform: Platform;
  db: TestDb;
  /** Demo merchant credentials printed by the development banner. */
  demo: {
    merchantId: string;
    secretKey: string;
    publishableKey: string;
    storeId: string;
    terminalId: string;
    terminalSecret: string;
    /** The demo owner's one-time dashboard invitation link. */
    ownerInvitation: string;
  };
  close(): Promise<void>;
}

function bannerValue(lines: string[], label: string): string {
  const line = lines.find((l) => l.startsWith(label));
  const value = line?.slice(label.length).trim().split(/\s+/)[0];
  if (!value) throw new Error(`development banner has no ${label}:\n${lines.join('\n')}`);
  return value;
}

export async function startWebPlatform(): Promise<WebPlatform> {
  const db = await createTestDb({ migrate: false });
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'kinko-web-'));
  const port = await freePort();
  const origin = `http://localhost:${port}`;
  const config = loadConfig({
    KINKO_ENV: 'development',
    LOG_LEVEL: 'warn',
    PORT: String(port),
    KINKO_PUBLIC_ORIGIN: origin,
    KINKO_DATA_DIR: path.join(dir, 'data'),
    KINKO_KEK_FILE: path.join(dir, 'keys', 'vault-keys.json'),
    KINKO_AUDIT_SIGNING_KEY_FILE: path.join(dir, 'keys', 'audit-signing.key'),
  });
  const log = createLogger({ level: 'warn' });
  // The system clock and the background jobs on, as `npm start` runs: a browser waits in
  // real time for the mail it was sent.
  const platform = await startPlatform(config, log, { db: databaseOf(db) });
  const lines = platform.banner.map((l) => l.trim());
  const demo = {
    merchantId: bannerValue(lines, 'merchant '),
    secretKey: bannerValue(lines, 'secret key'),
    publishableKey: bannerValue(lines, 'publishable key'),
    storeId: bannerValue(lines, 'store'),
    terminalId: bannerValue(lines, 'terminal '),
    terminalSecret: bannerValue(lines, 'terminal secret'),
    ownerInvitation: bannerValue(lines, 'owner invitation'),
  };
  return {
    origin,
    platform,
    db,
    demo,
    close: async () => {
      await platform.stop();
      await db.close();
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}

/**
 * The platform and a Chromium for one browser test, both closed when the test ends (browser
 * first, so no page is still talking to a stopped server).
 */
export async function startWebPlatformAndBrowser(
  t: TestContext,
): Promise<{ p: WebPlatform; browser: Browser }> {
  const p = await startWebPlatform();
  const browser = await launchChromium().catch(async (error: unknown) => {
    await p.close();
    throw error;
  });
  t.after(async () => {
    await browser.close();
    await p.close();
  });
  return { p, browser };
}

/** The latest one-time code the dev mailbox holds for an address (tests only). */
export async function lastMailedCode(p: WebPlatform, address: string): Promise<string> {
  for (let i = 0; i < 50; i++) {
    const res = await fetch(`${p.origin}/dev/mailbox?to=${encodeURIComponent(address)}`);
    const body = (await res.json()) as { messages: { text: string }[] };
    const code = body.messages
      .map((m) => /\bcode (?:is )?(\d{6,8})\b/.exec(m.text)?.[1])
      .find(Boolean);
    if (code) return code;
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(`no code sent to ${address}`);
}

/** Answers the step-up dialog with the passkey when the wallet shows it. */
export async function passStepUps(page: Page): Promise<void> {
  const button = page.getByRole('button', { name: 'Use passkey' });
  // The dialog disables its button while the passkey ceremony runs and goes away once the
  // step-up is done: a click that finds it disabled or gone is not an error.
  if ((await button.isVisible()) && (await button.isEnabled())) {
    await button.click({ timeout: 1000 }).catch(() => undefined);
  }
}

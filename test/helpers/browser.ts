import fs from 'node:fs';
import http from 'node:http';
import type { Browser, Page } from 'playwright-core';
import { freePort } from './free-port.ts';

// Browser tests drive Debian's Chromium (never a downloaded browser) through playwright-core.
// Without /usr/bin/chromium they are skipped with this message; CI installs it (.ci/run).

export const CHROMIUM = '/usr/bin/chromium';
export const NO_CHROMIUM: string | false = fs.existsSync(CHROMIUM)
  ? false
  : `${CHROMIUM} is missing: apt-get install -y chromium (the CI script does)`;

export async function launchChromium(): Promise<Browser> {
  const { chromium } = await import('playwright-core');
  return chromium.launch({
    executablePath: CHROMIUM,
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  });
}

/**
 * A tiny site on another loopback origin: every path answers the page `html()` gives (so it
 * can be filled in once Kinko's origin is known), and a log of what the site was sent.
 */
export async function serveSite(
  html: () => string,
): Promise<{ origin: string; requests: string[]; close(): Promise<void> }> {
  const requests: string[] = [];
  const server = http.createServer((req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => (body += c.toString()));
    req.on('end', () => {
      requests.push(`${req.method} ${req.url} ${body}`);
      res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
      res.end(html());
    });
  });
  const port = await freePort();
  await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
  return {
    origin: `http://127.0.0.1:${port}`,
    requests,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

/** The sample merchant checkout: loads kinko.js with its SRI hash and mounts the fields. */
export function merchantPage(
  kinkoOrigin: string,
  integrity: string,
  publishableKey: string,
): string {
  return `<!doctype html>
<html><head><meta charset="utf-8"><title>Sample shop — checkout</title></head>
<body>
<h1>Checkout</h1>
<div id="card"></div>
<p id="result">waiting</p>
<script src="${kinkoOrigin}/js/kinko.js" integrity="${integrity}" crossorigin="anonymous"></script>
<script>
  Kinko.mount('#card', {
    publishableKey: ${JSON.stringify(publishableKey)},
    onToken: function (c) {
      document.getElementById('result').textContent = 'token ' + c.token + ' ' + c.brand + ' ' + c.last4;
    },
    onError: function (e) {
      document.getElementById('result').textContent = 'error ' + e.code;
    },
    onChallenge: function () {
      document.getElementById('result').textContent = 'challenge';
    },
  });
</script>
</body></html>`;
}

/**
 * The labels of an app's tabs (nav.tabs links) that are not wholly in view across: hidden,
 * or past the left or right edge of the window or of the tab bar (scrolled or clipped off).
 */
export async function tabsOutOfView(page: Page): Promise<string[]> {
  return page.locator('nav.tabs').evaluate((nav) => {
    const bar = nav.getBoundingClientRect();
    const right = Math.min(bar.right, window.innerWidth);
    return [...nav.querySelectorAll('a')]
      .filter((a) => {
        const r = a.getBoundingClientRect();
        return r.width === 0 || r.left < Math.max(bar.left, 0) - 0.5 || r.right > right + 0.5;
      })
      .map((a) => a.textContent ?? '');
  });
}

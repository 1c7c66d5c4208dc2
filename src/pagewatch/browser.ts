import type { Browser, BrowserContext, CDPSession, Route } from 'playwright-core';
import { AddressRefused, guardedFetch, type FetchLimits } from './fetch.ts';
import {
  frameKey,
  securityHeaders,
  sha256Hex,
  type Inventory,
  type ScriptSeen,
} from './inventory.ts';
import type { AddressPolicy } from './url.ts';

// Loading one page in Chromium and writing down what it received and ran. The browser is
// Debian's (never a downloaded one), driven by playwright-core, and reaches the network only
// through the guarded fetch: every request is routed to Node, which dials a checked address
// and hands the answer back, while the browser's own network goes to a dead proxy (so a
// WebSocket or anything else not routed reaches nothing). The scripts that ran are taken from
// the debugger (Debugger.scriptParsed in the page's own world): an external script's hash is
// of the body fetched, an inline or evaluated one's of its text. Frames share the page's
// process (site isolation off), so their scripts are seen too.

export interface LoaderSettings {
  executablePath: string;
  policy: AddressPolicy;
  fetch: FetchLimits;
  /** The whole load gives up after this long. */
  loadTimeoutMs: number;
  /** After `load`, how long late scripts (timers, tag managers) get before the snapshot. */
  settleMs: number;
}

export type LoadResult =
  { outcome: 'loaded'; inventory: Inventory } | { outcome: 'failed'; failure: string };

/** The launch flags: those of test/helpers/browser.ts, then the monitor's network fence. */
const MONITOR_FLAGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--disable-site-isolation-trials',
  '--disable-features=IsolateOrigins,site-per-process',
  '--proxy-server=127.0.0.1:9',
  '--proxy-bypass-list=<-loopback>',
  '--dns-prefetch-disable',
];

export async function launchMonitorBrowser(executablePath: string): Promise<Browser> {
  const { chromium } = await import('playwright-core');
  // Kinko's own shutdown closes the browser: Playwright's default signal handlers would
  // close it on Ctrl-C and then end the whole process (exit 130) before Kinko stops cleanly.
  return chromium.launch({
    executablePath,
    args: MONITOR_FLAGS,
    timeout: 30_000,
    handleSIGINT: false,
    handleSIGTERM: false,
    handleSIGHUP: false,
  });
}

interface Parsed {
  scriptId: string;
  url: string;
}

async function routeThroughGuard(
  context: BrowserContext,
  s: LoaderSettings,
  scriptBodies: Map<string, Buffer>,
  refused: string[],
): Promise<void> {
  await context.route('**/*', async (route: Route) => {
    const req = route.request();
    try {
      const answer = await guardedFetch(
        {
          method: req.method(),
          url: req.url(),
          headers: await req.allHeaders(),
          body: req.postDataBuffer(),
        },
        s.policy,
        s.fetch,
      );
      if (req.resourceType() === 'script') scriptBodies.set(req.url(), answer.body);
      await route.fulfill({ status: answer.status, headers: answer.headers, body: answer.body });
    } catch (err) {
      if (err instanceof AddressRefused || (err as { code?: string }).code === 'EADDRREFUSED') {
        refused.push(new URL(req.url()).host);
      }
      await route.abort('blockedbyclient').catch(() => undefined);
    }
  });
}

async function scriptsRan(
  cdp: CDPSession,
  parsed: readonly Parsed[],
  bodies: Map<string, Buffer>,
): Promise<ScriptSeen[]> {
  const out: ScriptSeen[] = [];
  for (const p of parsed) {
    const body = bodies.get(p.url);
    if (body) {
      out.push({ url: p.url, sha256: sha256Hex(body) });
      continue;
    }
    const src = (await cdp
      .send('Debugger.getScriptSource', { scriptId: p.scriptId })
      .catch(() => null)) as { scriptSource: string } | null;
    if (src) out.push({ url: '', sha256: sha256Hex(src.scriptSource) });
  }
  return out;
}

async function formActions(context: BrowserContext): Promise<string[]> {
  const actions: string[] = [];
  for (const page of context.pages()) {
    for (const frame of page.frames()) {
      const list = await frame
        .$$eval('form', (forms) => forms.map((f) => (f as HTMLFormElement).action))
        .catch(() => [] as string[]);
      actions.push(...list);
    }
  }
  return actions;
}

/** Loads url in a fresh context of browser; what ran, or why it did not load. */
export async function loadPage(
  browser: Browser,
  url: string,
  s: LoaderSettings,
): Promise<LoadResult> {
  const context = await browser.newContext({ serviceWorkers: 'block', acceptDownloads: false });
  try {
    const page = await context.newPage();
    const cdp = await context.newCDPSession(page);
    const parsed: Parsed[] = [];
    let recording = true;
    cdp.on('Debugger.scriptParsed', (e) => {
      const aux = e.executionContextAuxData as { isDefault?: boolean } | undefined;
      if (recording && aux?.isDefault) parsed.push({ scriptId: e.scriptId, url: e.url });
    });
    await cdp.send('Debugger.enable');
    // A `debugger;` statement must not stop the page (or the monitor) while we listen.
    await cdp.send('Debugger.setSkipAllPauses', { skip: true });
    const bodies = new Map<string, Buffer>();
    const refused: string[] = [];
    await routeThroughGuard(context, s, bodies, refused);
    // Scripts parsed before the navigation are Playwright's own (its service-worker block):
    // the same text in any frame is theirs, not the page's.
    const own = new Set((await scriptsRan(cdp, parsed.splice(0), bodies)).map((x) => x.sha256));
    let response;
    try {
      response = await page.goto(url, { waitUntil: 'load', timeout: s.loadTimeoutMs });
    } catch (err) {
      const why = refused.length > 0 ? `address refused for ${refused[0]}` : String(err);
      return { outcome: 'failed', failure: why.split('\n')[0]!.slice(0, 500) };
    }
    await page.waitForTimeout(s.settleMs);
    recording = false;
    const scripts = (await scriptsRan(cdp, parsed, bodies)).filter((x) => !own.has(x.sha256));
    const headers = response ? securityHeaders(await response.allHeaders()) : {};
    const frames = page
      .frames()
      .filter((f) => f !== page.mainFrame())
      .map((f) => frameKey(f.url()));
    return {
      outcome: 'loaded',
      inventory: { scripts, headers, frames, form_actions: await formActions(context) },
    };
  } finally {
    await context.close().catch(() => undefined);
  }
}

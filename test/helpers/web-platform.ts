import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { auditRoutes } from '../../src/audit/index.ts';
import { loadConfig } from '../../src/config.ts';
import { createServer } from '../../src/http/index.ts';
import { createLogger } from '../../src/lib/log.ts';
import { startPlatform, type Platform } from '../../src/main.ts';
import { webRoutes } from '../../src/web/index.ts';
import { freePort } from './browser.ts';
import { createTestDb, type TestDb } from './db.ts';

// The whole platform as `npm start` runs it (development mode: demo merchant, dev mailbox,
// card simulator) on a fresh test database, with the web apps in front on one origin. Until
// the composition root mounts webRoutes itself, a small same-origin front door sends
// /wallet, /pos, /dashboard, /console and /web/ to the web apps and everything else to
// the platform — so the browser sees exactly one origin, as in production.

export interface WebPlatform {
  origin: string;
  platform: Platform;
  db: TestDb;
  /** Demo merchant credentials printed by the development banner. */
  demo: {
    secretKey: string;
    publishableKey: string;
    storeId: string;
    terminalId: string;
    terminalSecret: string;
  };
  close(): Promise<void>;
}

const WEB_PATH = /^\/(wallet|pos|dashboard|console)(\/|$|\?)|^\/web\/|^\/v1\/operator\/audit\//;

function bannerValue(lines: string[], label: string): string {
  const line = lines.find((l) => l.startsWith(label));
  const value = line?.slice(label.length).trim().split(/\s+/)[0];
  if (!value) throw new Error(`development banner has no ${label}:\n${lines.join('\n')}`);
  return value;
}

function proxy(to: number) {
  return (req: http.IncomingMessage, res: http.ServerResponse) => {
    const upstream = http.request(
      { host: '127.0.0.1', port: to, method: req.method, path: req.url, headers: req.headers },
      (r) => {
        res.writeHead(r.statusCode ?? 502, r.headers);
        r.pipe(res);
      },
    );
    upstream.on('error', () => {
      res.writeHead(502);
      res.end();
    });
    req.pipe(upstream);
  };
}

export async function startWebPlatform(): Promise<WebPlatform> {
  const db = await createTestDb({ migrate: false });
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'kinko-web-'));
  const [frontPort, apiPort, webPort] = [await freePort(), await freePort(), await freePort()];
  const origin = `http://localhost:${frontPort}`;
  const config = loadConfig({
    KINKO_ENV: 'development',
    LOG_LEVEL: 'warn',
    PORT: String(apiPort),
    KINKO_PUBLIC_ORIGIN: origin,
    KINKO_DATA_DIR: path.join(dir, 'data'),
    KINKO_KEK_FILE: path.join(dir, 'keys', 'vault-keys.json'),
    KINKO_AUDIT_SIGNING_KEY_FILE: path.join(dir, 'keys', 'audit-signing.key'),
  });
  const log = createLogger({ level: 'warn' });
  const database = { sql: db.sql, description: 'test database', close: async () => undefined };
  const platform = await startPlatform(config, log, { db: database });
  const mounted = platform.app.hasRoute({ method: 'GET', url: '/wallet' });
  const { audit, identity } = platform.modules;
  // The wiring main.ts is asked to add: operators read the trail with customers.read and
  // run verify with sources.read (risk analysts and security admins).
  const requireOperator = (access: 'audit.read' | 'audit.verify') =>
    identity.requireOperator(access === 'audit.read' ? 'customers.read' : 'sources.read');
  const web = mounted
    ? undefined
    : await createServer({
        log,
        limits: config.limits,
        version: 'test',
        routes: (scope) => {
          webRoutes(scope, { log });
          auditRoutes(scope, { audit, requireOperator });
        },
      });
  if (web) await web.listen({ host: '127.0.0.1', port: webPort });
  const front = http.createServer((req, res) =>
    proxy(web && WEB_PATH.test(req.url ?? '') ? webPort : apiPort)(req, res),
  );
  await new Promise<void>((resolve) => front.listen(frontPort, '127.0.0.1', resolve));
  const lines = platform.banner.map((l) => l.trim());
  const demo = {
    secretKey: bannerValue(lines, 'secret key'),
    publishableKey: bannerValue(lines, 'publishable key'),
    storeId: bannerValue(lines, 'store'),
    terminalId: bannerValue(lines, 'terminal '),
    terminalSecret: bannerValue(lines, 'terminal secret'),
  };
  return {
    origin,
    platform,
    db,
    demo,
    close: async () => {
      front.closeAllConnections();
      await new Promise<void>((resolve) => front.close(() => resolve()));
      await web?.close();
      await platform.stop();
      await db.close();
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}

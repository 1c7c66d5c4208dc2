import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { auditRoutes } from '../../src/audit/index.ts';
import { loadConfig } from '../../src/config.ts';
import { createServer } from '../../src/http/index.ts';
import { systemClock } from '../../src/lib/clock.ts';
import { createLogger } from '../../src/lib/log.ts';
import { startPlatform, type Platform } from '../../src/main.ts';
import { merchantKeyOf, merchantScopeOf } from '../../src/merchants/index.ts';
import {
  createPayments,
  DEFAULT_PAYMENTS_LIMITS,
  loadOrCreatePaymentCodeKey,
  paymentsRoutes,
} from '../../src/payments/index.ts';
import { createRisk } from '../../src/risk/index.ts';
import { registerMerchant } from '../../src/vault/index.ts';
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
    merchantId: string;
    secretKey: string;
    publishableKey: string;
    storeId: string;
    terminalId: string;
    terminalSecret: string;
  };
  close(): Promise<void>;
}

const WEB_PATH = /^\/(wallet|pos|dashboard|console)(\/|$|\?)|^\/web\/|^\/v1\/operator\/audit\//;
const PAYMENTS_PATH = /^\/v1\/(wallet|code_payments)(\/|$|\?)|^\/v1\/stores\/[^/]+\/qr/;

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
  const lines = platform.banner.map((l) => l.trim());
  const demo = {
    merchantId: bannerValue(lines, 'merchant '),
    secretKey: bannerValue(lines, 'secret key'),
    publishableKey: bannerValue(lines, 'publishable key'),
    storeId: bannerValue(lines, 'store'),
    terminalId: bannerValue(lines, 'terminal '),
    terminalSecret: bannerValue(lines, 'terminal secret'),
  };
  // Hosted card sessions read the vault's own merchant registry, which the development seed
  // does not fill yet: the wallet's card form needs the demo merchant there.
  await registerMerchant(db.sql, systemClock, {
    merchantId: demo.merchantId,
    allowedOrigins: [origin],
  }).catch(() => undefined);
  const paymentsMounted = platform.app.hasRoute({ method: 'GET', url: '/v1/wallet' });
  const payments = paymentsMounted ? undefined : walletPayments(platform, config, dir, log);
  const web = mounted
    ? undefined
    : await createServer({
        log,
        limits: config.limits,
        version: 'test',
        routes: (scope) => {
          webRoutes(scope, { log, walletPublishableKey: () => demo.publishableKey });
          auditRoutes(scope, { audit, requireOperator });
          if (payments) paymentsRoutes(scope, payments);
        },
      });
  if (web) await web.listen({ host: '127.0.0.1', port: webPort });
  const toWeb = (url: string) => WEB_PATH.test(url) || (payments && PAYMENTS_PATH.test(url));
  const front = http.createServer((req, res) =>
    proxy(web && toWeb(req.url ?? '') ? webPort : apiPort)(req, res),
  );
  await new Promise<void>((resolve) => front.listen(frontPort, '127.0.0.1', resolve));
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

/** The payments module wired the way its own test platform wires it, until main.ts does. */
function walletPayments(
  platform: Platform,
  config: ReturnType<typeof loadConfig>,
  dir: string,
  log: ReturnType<typeof createLogger>,
) {
  const m = platform.modules;
  const sql = platform.db.sql;
  const limits = DEFAULT_PAYMENTS_LIMITS;
  const payments = createPayments({
    sql,
    clock: systemClock,
    log,
    limits,
    ledger: m.ledger,
    audit: m.audit,
    outbox: m.outbox,
    identity: m.identity,
    vault: m.card.vault,
    acquirer: m.card.acquirer,
    merchants: m.merchants,
    webhooks: m.webhooks,
    risk: createRisk({ sql, clock: systemClock, limits: limits.risk }),
    codeKey: loadOrCreatePaymentCodeKey(path.join(dir, 'keys', 'payment-codes.key')),
    publicOrigin: config.publicOrigin,
  });
  return {
    payments,
    identity: m.identity,
    merchants: m.merchants,
    idempotency: m.idempotency,
    requireMerchantKey: m.merchants.requireMerchantKey,
    merchantKeyOf,
    merchantScopeOf,
  };
}

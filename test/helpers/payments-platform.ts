import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { acquirerRoutes } from '../../src/acquirer/index.ts';
import { loadConfig, type Config, type PaymentsLimits } from '../../src/config.ts';
import { createServer, type App } from '../../src/http/index.ts';
import { identityRoutes } from '../../src/identity/index.ts';
import { manualClock, type ManualClock } from '../../src/lib/clock.ts';
import { createModules, type Modules } from '../../src/main.ts';
import {
  merchantKeyOf,
  merchantRoutes,
  merchantScopeOf,
  type CreatedMerchant,
} from '../../src/merchants/index.ts';
import { createNotifier, deliverEvent, NOTIFY_TOPIC } from '../../src/notify/index.ts';
import {
  createPayments,
  loadOrCreatePaymentCodeKey,
  paymentsRoutes,
  type Payments,
} from '../../src/payments/index.ts';
import { webPaymentRoutes } from '../../src/checkout/index.ts';
import { createRisk } from '../../src/risk/index.ts';
import { vaultRoutes } from '../../src/vault/index.ts';
import { webRoutes } from '../../src/web/index.ts';
import { webhookRoutes } from '../../src/webhooks/index.ts';
import { createTestDb, type TestDb } from './db.ts';
import { enrolTotp, stepUpTotp, type Authenticator } from './identity-factors.ts';
import { auth, proof, signUp, type Customer, type Harness } from './identity-harness.ts';
import { capturedLogger } from './log.ts';

// The whole platform as main.ts wires it, plus the payments module, on a fresh database with
// a manual clock and key files in a temporary directory outside the data directory. It is
// an identity Harness too, so identity's helpers (signUp, proof, enrolTotp) work on it.

export const ORIGIN = 'http://localhost:8080';
export const SHOP_ORIGIN = 'http://127.0.0.1:4455';

export interface PayPlatform extends Harness {
  config: Config;
  modules: Modules;
  payments: Payments;
  merchant: CreatedMerchant & { terminalAuth: string };
  logs: ReturnType<typeof capturedLogger>;
  close(): Promise<void>;
}

export async function payPlatform(
  options: { limits?: Partial<PaymentsLimits>; web?: boolean } = {},
): Promise<PayPlatform> {
  const db = await createTestDb();
  const clock = manualClock(Date.UTC(2026, 3, 1, 9, 0, 0));
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'kinko-pay-data-'));
  const keysDir = fs.mkdtempSync(path.join(os.tmpdir(), 'kinko-pay-keys-'));
  const config = loadConfig({
    KINKO_ENV: 'test',
    KINKO_DATA_DIR: dataDir,
    KINKO_KEK_FILE: path.join(keysDir, 'vault-keys.json'),
    KINKO_AUDIT_SIGNING_KEY_FILE: path.join(keysDir, 'audit-signing.key'),
    KINKO_PUBLIC_ORIGIN: ORIGIN,
    KINKO_ACQUIRER_CALL_TIMEOUT_MS: '300',
  });
  const logs = capturedLogger('warn');
  const { log } = logs;
  const modules = createModules(config, log, db.sql, clock);
  const limits = { ...config.limits.payments, ...options.limits };
  const payments = createPayments({
    sql: db.sql,
    clock,
    log,
    limits,
    ledger: modules.ledger,
    audit: modules.audit,
    outbox: modules.outbox,
    identity: modules.identity,
    vault: modules.card.vault,
    acquirer: modules.card.acquirer,
    merchants: modules.merchants,
    webhooks: modules.webhooks,
    risk: createRisk({ sql: db.sql, clock, limits: config.limits.risk }),
    codeKey: loadOrCreatePaymentCodeKey(config.paymentCodeKeyFile),
    publicOrigin: ORIGIN,
  });
  const app = await createServer({
    log,
    limits: config.limits,
    version: 'test',
    routes: (scope) => {
      mount(scope, config, modules, payments);
      // The browser apps (dashboard, wallet, …), for browser tests.
      if (options.web) webRoutes(scope);
    },
  });
  const merchant = await modules.merchants.createMerchant(
    {
      name: 'Yamada Shoten',
      // Wallet payments move real money: only live keys may take or refund them.
      mode: 'live',
      allowedOrigins: [SHOP_ORIGIN, ORIGIN],
      store: {
        name: 'Yamada Shoten Shibuya',
        mcc: '5411',
        city: 'Shibuya',
        postalCode: '150-0002',
        terminalName: 'Register 1',
      },
    },
    { type: 'cli' },
  );
  const notifier = createNotifier({ sql: db.sql, clock, log, env: 'test' });
  const mailbox = async (address: string) => {
    await payments.sendReceiptsOnce();
    for (;;) {
      const events = await modules.outbox.claim({
        topics: [NOTIFY_TOPIC],
        max: 100,
        leaseSeconds: 30,
        owner: 'test',
      });
      if (events.length === 0) break;
      for (const e of events) {
        await deliverEvent(notifier, e, log);
        await modules.outbox.complete(e.id, 'test');
      }
    }
    const url = `/dev/mailbox?to=${encodeURIComponent(address)}`;
    const res = await app.inject({ method: 'GET', url });
    return (res.json() as { messages: { subject: string; text: string; channel: string }[] })
      .messages;
  };
  return {
    db,
    app,
    identity: modules.identity,
    outbox: modules.outbox,
    clock,
    limits: config.limits,
    config,
    logs,
    modules,
    payments,
    merchant: {
      ...merchant,
      terminalAuth: `Terminal ${merchant.terminal!.id}:${merchant.terminalSecret!}`,
    },
    mailbox,
    lastCode: async (address) => {
      const texts = (await mailbox(address)).map((m) => m.text);
      const code = texts.map((t) => /\bcode (?:is )?(\d{6,8})\b/.exec(t)?.[1]).find(Boolean);
      if (!code) throw new Error(`no code sent to ${address}`);
      return code;
    },
    close: async () => {
      await app.close();
      notifier.close();
      await db.close();
      fs.rmSync(dataDir, { recursive: true, force: true });
      fs.rmSync(keysDir, { recursive: true, force: true });
    },
  };
}

function mount(scope: App, config: Config, m: Modules, payments: Payments): void {
  identityRoutes(scope, m.identity);
  merchantRoutes(scope, { merchants: m.merchants, idempotency: m.idempotency });
  webhookRoutes(scope, {
    webhooks: m.webhooks,
    idempotency: m.idempotency,
    requireMerchantKey: m.merchants.requireMerchantKey,
    merchantKeyOf,
    merchantScopeOf,
  });
  vaultRoutes(scope, { vault: m.card.vault });
  acquirerRoutes(scope, {
    acquirer: m.card.acquirer,
    challengeScript: m.card.vault.scripts.entry('challenge'),
    showDevCode: config.env !== 'production',
  });
  webPaymentRoutes(scope, {
    payments: m.webPayments,
    idempotency: m.idempotency,
    requireMerchantKey: (s) => m.merchants.requireMerchantKey(s),
    merchantKeyOf,
    merchantScopeOf,
  });
  paymentsRoutes(scope, {
    payments,
    identity: m.identity,
    merchants: m.merchants,
    idempotency: m.idempotency,
    requireMerchantKey: m.merchants.requireMerchantKey,
    merchantKeyOf,
    merchantScopeOf,
  });
}

/** A signed-up customer with TOTP, on their bound device, stepped up. */
export interface WalletUser extends Customer {
  app: Authenticator;
}

export async function walletUser(p: PayPlatform, n: number): Promise<WalletUser> {
  const c = await signUp(p, n);
  const { app } = await enrolTotp(p, c);
  const token = await stepUpTotp(p, c.token, app);
  return { ...c, token, app };
}

let keyCounter = 0;
export const idem = () => ({ 'idempotency-key': `key-${process.pid}-${++keyCounter}` });

/** A POST from the wallet app with a fresh device proof for `action`. */
export async function walletPost(
  p: PayPlatform,
  u: WalletUser,
  url: string,
  action: string,
  payload: object,
  headers: Record<string, string> = idem(),
) {
  const deviceProof = await proof(p, u.token, u.deviceId, u.device, action);
  return p.app.inject({
    method: 'POST',
    url,
    headers: { ...auth(u.token), 'kinko-device-proof': deviceProof, ...headers },
    payload,
  });
}

/** Tokenizes a card in the hosted fields (as the wallet's card form does); 3-D Secure passes. */
export async function hostedCardToken(p: PayPlatform, number: string): Promise<string> {
  const page = await p.app.inject({
    method: 'GET',
    url: `/hosted/fields?pk=${p.merchant.publishableKey}&origin=${encodeURIComponent(ORIGIN)}`,
  });
  const key = /"sessionKey":"(hsk_[A-Za-z0-9_-]+)"/.exec(page.body)?.[1];
  if (!key) throw new Error(`hosted page: ${page.statusCode} ${p.logs.text().slice(-1500)}`);
  const headers = { origin: ORIGIN, 'x-kinko-session-key': key };
  const res = await p.app.inject({
    method: 'POST',
    url: '/v1/vault/hosted/tokenize',
    headers,
    payload: { number, exp_month: 12, exp_year: 2030, cvc: '123' },
  });
  let body = res.json() as { status: string; card?: { token: string }; challenge_url?: string };
  if (body.status === 'requires_action') {
    await passChallenge(p, body.challenge_url!);
    const done = await p.app.inject({
      method: 'POST',
      url: '/v1/vault/hosted/complete',
      headers,
      payload: {},
    });
    body = done.json();
  }
  if (body.status !== 'succeeded' || !body.card) throw new Error(`tokenize: ${res.body}`);
  return body.card.token;
}

/** Answers a 3-D Secure challenge with the code the development page shows. */
export async function passChallenge(p: PayPlatform, url: string): Promise<void> {
  const pathOnly = new URL(url, ORIGIN).pathname;
  const html = (await p.app.inject({ method: 'GET', url: pathOnly })).body;
  const code = /id="dev-code">(\d{6})</.exec(html)?.[1];
  if (!code) throw new Error('no development challenge code');
  const answer = await p.app.inject({
    method: 'POST',
    url: `${pathOnly}/answer`,
    payload: { code },
  });
  if (answer.json().status !== 'authenticated') throw new Error(`challenge: ${answer.body}`);
}

/** Links a card and tops the wallet up; returns the top-up's answer body. */
export async function fundWallet(p: PayPlatform, u: WalletUser, amount: number) {
  const token = await hostedCardToken(p, '4242424242424242');
  const link = await walletPost(p, u, '/v1/wallet/cards', 'card_link', { card_token: token });
  if (link.statusCode !== 200) throw new Error(`link: ${link.body}`);
  const res = await walletPost(p, u, '/v1/wallet/topups', 'topup', { amount, card_token: token });
  if (res.json().status !== 'succeeded') throw new Error(`top-up: ${res.body}`);
  return { token, topup: res.json() };
}

export async function issueCode(p: PayPlatform, u: WalletUser): Promise<string> {
  const res = await walletPost(p, u, '/v1/wallet/payment_codes', 'payment_code', {}, {});
  if (res.statusCode !== 200) throw new Error(`code: ${res.body}`);
  return res.json().payment_code as string;
}

export function registerPay(
  p: PayPlatform,
  code: string,
  amount: number,
  key = idem()['idempotency-key'],
) {
  return p.app.inject({
    method: 'POST',
    url: '/v1/code_payments',
    headers: { authorization: p.merchant.terminalAuth, 'idempotency-key': key },
    payload: { code, amount, store_id: p.merchant.store!.id },
  });
}

export async function balanceOf(p: PayPlatform, u: WalletUser): Promise<string> {
  const res = await p.app.inject({ method: 'GET', url: '/v1/wallet', headers: auth(u.token) });
  return res.json().balance as string;
}

import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import type { LightMyRequestResponse } from 'fastify';
import type { Acquirer, Simulator } from '../../src/acquirer/index.ts';
import type { Ledger } from '../../src/ledger/index.ts';
import type { WebPayments } from '../../src/checkout/index.ts';
import type { Vault } from '../../src/vault/index.ts';
import { merchantApi, type MerchantApi } from './merchant-api.ts';

// Web payments through HTTP on the one test platform: merchants with real API keys, the
// vault, the acquirer over the card network simulator (3-D Secure pages included), the
// ledger, webhooks and the /v1 payment routes, with a manual clock.

export const PUBLIC_ORIGIN = 'http://localhost:4454';
export const SHOP_ORIGIN = 'https://shop.example';

export interface WebPaymentsHarness {
  api: MerchantApi;
  ledger: Ledger;
  simulator: Simulator;
  acquirer: Acquirer;
  vault: Vault;
  payments: WebPayments;
  close(): Promise<void>;
}

export interface Shop {
  merchantId: string;
  secretKey: string;
}

export async function webPaymentsHarness(
  options: { env?: Record<string, string> } = {},
): Promise<WebPaymentsHarness> {
  const api = await merchantApi({
    publicOrigin: PUBLIC_ORIGIN,
    limits: { acquirerCallTimeoutMs: 200 },
    ...options,
  });
  const m = api.modules;
  return {
    api,
    ledger: m.ledger,
    simulator: api.simulator,
    acquirer: m.card.acquirer,
    vault: m.card.vault,
    payments: m.webPayments,
    close: () => api.close(),
  };
}

export async function shop(h: WebPaymentsHarness, name = 'Web Shop'): Promise<Shop> {
  const m = await h.api.merchants.createMerchant(
    { name, allowedOrigins: [SHOP_ORIGIN] },
    { type: 'cli' },
  );
  return { merchantId: m.merchantId, secretKey: m.secretKey };
}

/** A card token of this merchant, as the hosted card fields would have produced it. */
export async function cardToken(h: WebPaymentsHarness, s: Shop, number: string): Promise<string> {
  const card = await h.vault.tokenize({
    number,
    expMonth: 12,
    expYear: 2030,
    merchantId: s.merchantId,
    actor: { type: 'merchant', id: s.merchantId },
  });
  return card.token;
}

let keys = 0;

export async function post(
  h: WebPaymentsHarness,
  s: Shop | string,
  url: string,
  payload: object = {},
  idempotencyKey = `k-${++keys}-${randomBytes(4).toString('hex')}`,
): Promise<LightMyRequestResponse> {
  const key = typeof s === 'string' ? s : s.secretKey;
  return h.api.app.inject({
    method: 'POST',
    url,
    headers: { authorization: `Bearer ${key}`, 'idempotency-key': idempotencyKey },
    payload,
  });
}

export async function get(
  h: WebPaymentsHarness,
  s: Shop | string,
  url: string,
): Promise<LightMyRequestResponse> {
  const key = typeof s === 'string' ? s : s.secretKey;
  return h.api.app.inject({ method: 'GET', url, headers: { authorization: `Bearer ${key}` } });
}

type Json = Record<string, unknown>;

/** POST that must answer 2xx; returns the JSON body. */
export async function ok(
  h: WebPaymentsHarness,
  s: Shop,
  url: string,
  payload: object = {},
): Promise<Json> {
  const res = await post(h, s, url, payload);
  assert.ok(res.statusCode >= 200 && res.statusCode < 300, `${url}: ${res.statusCode} ${res.body}`);
  return res.json() as Json;
}

/** Creates and confirms a payment with a card of the given number. */
export async function pay(
  h: WebPaymentsHarness,
  s: Shop,
  number: string,
  body: Json = {},
): Promise<Json> {
  const token = await cardToken(h, s, number);
  const p = await ok(h, s, '/v1/payments', {
    amount: 5000,
    currency: 'JPY',
    payment_method: token,
    ...body,
  });
  return ok(h, s, `/v1/payments/${String(p['id'])}/confirm`);
}

/** The cardholder answers the 3-D Secure page with the simulator's code (or a wrong one). */
export async function answerChallenge(
  h: WebPaymentsHarness,
  url: string,
  code?: string,
): Promise<string> {
  const pathOnly = new URL(url).pathname;
  const page = await h.api.app.inject({ method: 'GET', url: pathOnly });
  assert.equal(page.statusCode, 200, page.body);
  const shown = /id="dev-code">(\d+)</.exec(page.body)?.[1];
  const res = await h.api.app.inject({
    method: 'POST',
    url: `${pathOnly}/answer`,
    payload: { code: code ?? shown ?? '000000' },
  });
  assert.equal(res.statusCode, 200, res.body);
  return String(res.json().status);
}

/** The merchant's ledger account balances in a currency (live mode). */
export async function merchantBalance(h: WebPaymentsHarness, s: Shop, currency = 'JPY') {
  const { accountIdFor } = await import('../../src/payments/accounts.ts');
  const [a] = await h.ledger.lookupAccounts([accountIdFor('merchant', s.merchantId, currency)]);
  return {
    pending: a?.creditsPending ?? 0n,
    posted: (a?.creditsPosted ?? 0n) - (a?.debitsPosted ?? 0n),
  };
}

export async function assertLedgerBalanced(h: WebPaymentsHarness): Promise<void> {
  const check = await h.ledger.check();
  assert.ok(check.ok, JSON.stringify(check));
}

export async function eventTypes(h: WebPaymentsHarness, merchantId: string): Promise<string[]> {
  const rows = await h.api.db.sql<{ type: string }[]>`
    select type from webhooks_events where merchant_id = ${merchantId} order by created_at, id`;
  return rows.map((r) => r.type);
}

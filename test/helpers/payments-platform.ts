import assert from 'node:assert/strict';
import type { CreatedMerchant } from '../../src/merchants/index.ts';
import type { Payments } from '../../src/payments/index.ts';
import { enrolTotp, stepUpTotp, type Authenticator } from './identity-factors.ts';
import {
  auth,
  proof,
  signUp,
  withMailbox,
  type Customer,
  type Harness,
} from './identity-harness.ts';
import { visa4242For } from './card-samples.ts';
import { testPlatform, type TestPlatformOptions } from './platform.ts';

// The whole platform as main.ts wires it (the one test platform), with a live merchant that
// has a store and a register. It is an identity Harness too, so identity's helpers (signUp,
// proof, enrolTotp) work on it.

export const ORIGIN = 'http://localhost:8080';
export const SHOP_ORIGIN = 'http://127.0.0.1:4455';

export interface PayPlatform extends Harness {
  payments: Payments;
  merchant: CreatedMerchant & { terminalAuth: string };
}

export async function payPlatform(
  options: Pick<TestPlatformOptions, 'env' | 'publicOrigin'> = {},
): Promise<PayPlatform> {
  const p = await testPlatform({
    ...options,
    publicOrigin: options.publicOrigin ?? ORIGIN,
    env: { KINKO_ACQUIRER_CALL_TIMEOUT_MS: '300', ...options.env },
  });
  const merchant = await p.modules.merchants.createMerchant(
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
  return {
    ...withMailbox(p),
    payments: p.modules.payments,
    merchant: {
      ...merchant,
      terminalAuth: `Terminal ${merchant.terminal!.id}:${merchant.terminalSecret!}`,
    },
  };
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

/** Each customer funds with a card of their own (test/helpers/card-samples.ts). */
let cardSeed = 1;

/** Links the customer's own card and tops the wallet up; returns the top-up's answer body. */
export async function fundWallet(p: PayPlatform, u: WalletUser, amount: number) {
  const token = await hostedCardToken(p, visa4242For(cardSeed++));
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

/**
 * A wallet customer who paid `amount` at the register (the wallet funded with just that, so
 * it ends at zero) and then deleted the account; returns the customer and the payment.
 */
export async function paidThenDeleted(p: PayPlatform, amount: number) {
  const u = await walletUser(p, 1);
  await fundWallet(p, u, amount);
  const paid = await registerPay(p, await issueCode(p, u), amount);
  assert.equal(paid.statusCode, 200, paid.body);
  assert.equal(await balanceOf(p, u), '0');
  const res = await walletPost(p, u, '/v1/wallet/account/delete', 'account_delete', {}, {});
  assert.equal(res.statusCode, 200, res.body);
  return { u, paid };
}

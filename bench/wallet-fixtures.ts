import { generateKeyPairSync, sign } from 'node:crypto';
import { generateHOTP } from '@oslojs/otp';
import type { App } from '../src/http/index.ts';
import { proofMessage } from '../src/identity/index.ts';
import type { Modules } from '../src/main.ts';
import { visa4242For } from '../test/helpers/card-samples.ts';
import { base32Decode } from '../test/helpers/identity-factors.ts';
import type { TopupCaller } from './callers.ts';
import { BENCH_ORIGIN } from './platform.ts';

// Wallet customers for bench:topup, made through the platform's own API in process (not
// measured): sign-up with the codes from the development mailbox, a bound device key, TOTP
// enrolled (which counts as the recent strong authentication money movement needs), and a
// card of its own (one number on three wallets is what the rule `shared_card` holds)
// tokenized by the vault for the wallet and linked with a device proof. Each customer
// comes from its own source address, as customers do, so that per-source sign-up throttles
// see many people and not one attacker.

type Inject = (o: {
  method: 'GET' | 'POST';
  url: string;
  headers?: Record<string, string>;
  payload?: object;
}) => Promise<{ statusCode: number; body: string; json(): Record<string, unknown> }>;

function injector(app: App, n: number): Inject {
  const remoteAddress = `10.${(n >> 16) & 255}.${(n >> 8) & 255}.${n & 255}`;
  return async (o) => {
    const res = await app.inject({ ...o, remoteAddress });
    return { statusCode: res.statusCode, body: res.body, json: () => res.json() };
  };
}

async function lastCode(inject: Inject, address: string): Promise<string> {
  for (let i = 0; i < 200; i++) {
    const res = await inject({
      method: 'GET',
      url: `/dev/mailbox?to=${encodeURIComponent(address)}`,
    });
    const messages = (res.json()['messages'] ?? []) as { text: string }[];
    const code = messages.map((m) => /\bcode (?:is )?(\d{6,8})\b/.exec(m.text)?.[1]).find(Boolean);
    if (code) return code;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`no code sent to ${address}`);
}

function expect(res: { statusCode: number; body: string }, status: number, what: string) {
  if (res.statusCode !== status) throw new Error(`${what}: ${res.statusCode} ${res.body}`);
}

/** One customer ready to top up from the wallet app: session, device key, linked card. */
export async function walletCustomer(
  app: App,
  m: Modules,
  walletMerchantId: string,
  n: number,
): Promise<TopupCaller> {
  const inject = injector(app, n);
  const email = `bench${n}@example.com`;
  const phone = `+8190${String(10_000_000 + n).slice(-8)}`;
  let res = await inject({
    method: 'POST',
    url: '/v1/identity/signup',
    payload: { email, phone, password: `correct horse battery staple ${n}` },
  });
  expect(res, 202, 'signup');
  const { publicKey, privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const jwk = publicKey.export({ format: 'jwk' });
  res = await inject({
    method: 'POST',
    url: '/v1/identity/signup/verify',
    payload: {
      signup_id: res.json()['signup_id'] as string,
      email_code: await lastCode(inject, email),
      phone_code: await lastCode(inject, phone),
      device: { name: 'phone', public_key: { kty: jwk.kty, crv: jwk.crv, x: jwk.x, y: jwk.y } },
    },
  });
  expect(res, 201, 'signup verify');
  const body = res.json();
  const token = body['session_token'] as string;
  const deviceId = body['device_id'] as string;
  const auth = { authorization: `Bearer ${token}` };
  res = await inject({
    method: 'POST',
    url: '/v1/identity/factors/totp',
    headers: auth,
    payload: {},
  });
  expect(res, 200, 'totp');
  const secret = base32Decode(res.json()['secret'] as string);
  const code = generateHOTP(secret, BigInt(Math.floor(Date.now() / 30_000)), 6);
  res = await inject({
    method: 'POST',
    url: '/v1/identity/factors/totp/confirm',
    headers: auth,
    payload: { code },
  });
  expect(res, 200, 'totp confirm');
  const card = await m.card.vault.tokenize({
    number: visa4242For(n),
    expMonth: 12,
    expYear: 2030,
    merchantId: walletMerchantId,
    actor: { type: 'merchant', id: walletMerchantId },
  });
  const proof = async (action: string) => {
    const ch = await inject({
      method: 'POST',
      url: '/v1/identity/devices/challenge',
      headers: auth,
      payload: { device_id: deviceId, action },
    });
    expect(ch, 200, 'challenge');
    const challenge = ch.json()['challenge'] as string;
    const sig = sign('sha256', proofMessage(action, challenge), {
      key: privateKey,
      dsaEncoding: 'ieee-p1363',
    });
    return `${challenge}.${sig.toString('base64url')}`;
  };
  res = await inject({
    method: 'POST',
    url: '/v1/wallet/cards',
    headers: {
      ...auth,
      'kinko-device-proof': await proof('card_link'),
      'idempotency-key': `link-${n}`,
      origin: BENCH_ORIGIN,
    },
    payload: { card_token: card.token },
  });
  expect(res, 200, 'card link');
  return {
    token,
    deviceId,
    deviceKey: privateKey.export({ format: 'jwk' }),
    cardToken: card.token,
  };
}

import { createHash } from 'node:crypto';
import type { ManualClock } from './lib/clock.ts';
import type { Modules } from './main.ts';
import {
  bearer,
  codeOf,
  deviceProof,
  DrillError,
  expectStatus,
  mailboxCode,
  newDeviceKey,
  totp,
  type Http,
} from './drill-http.ts';

// The drill's population and its 7pay-style takeover wave (../shared/incidents/7pay-2019):
// customers signed up through the API with an authenticator and a linked card; then an
// attacker working through a list of stolen credentials from a few foreign networks — most
// of the list fails (the sign-in throttles and the stuffing detector see that), and for the
// victims whose password and authenticator code were phished it registers its own phone,
// confirms it with the code, steps up, tops up with the victim's card and spends it at a
// tobacco shop's register with a one-time payment code. Every step goes through the HTTP
// API; simulated time advances as an attacker's work would take it.

/** A seeded PRNG (mulberry32): the whole wave follows from the seed, never Math.random. */
export function rng(seed: number): (min: number, max: number) => number {
  let s = seed >>> 0 || 0x9e3779b9;
  return (min, max) => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return min + Math.floor((((t ^ (t >>> 14)) >>> 0) / 4294967296) * (max - min + 1));
  };
}

/** A Luhn-valid 16-digit Visa-range number unique to n, not one of the simulator's specials. */
function cardNumber(n: number): string {
  const body = `4${String(n).padStart(6, '0')}${createHash('sha256')
    .update(`drill${n}`)
    .digest('hex')
    .replace(/[a-f]/g, '')
    .padEnd(8, '7')
    .slice(0, 8)}`;
  let sum = 0;
  for (let i = 0; i < body.length; i++) {
    let d = Number(body[body.length - 1 - i]);
    if (i % 2 === 0) d = d * 2 > 9 ? d * 2 - 9 : d * 2;
    sum += d;
  }
  return `${body}${(10 - (sum % 10)) % 10}`;
}

export interface Customer {
  n: number;
  email: string;
  phone: string;
  password: string;
  customerId: string;
  totpSecret: string;
}

export interface World {
  http: Http;
  clock: ManualClock;
  modules: Modules;
  /** Hands ready emails and SMS to the dev mailbox (background jobs are off in a drill). */
  deliver(): Promise<unknown>;
  origin: string;
  wallet: { merchantId: string };
  shop: { storeId: string; terminalAuth: string };
}

/** One customer through the API: sign-up, device, authenticator, a card linked. */
export async function seedCustomer(w: World, n: number): Promise<Customer> {
  const ip = `10.${(n >> 16) & 255}.${(n >> 8) & 255}.${n & 255}`;
  const email = `drill${n}@example.com`;
  const phone = `+8190${String(10_000_000 + n).slice(-8)}`;
  const password = `drill passphrase number ${n}`;
  const signup = await w.http.call('POST', '/v1/identity/signup', {
    body: { email, phone, password },
    ip,
  });
  expectStatus(signup, 202, 'sign-up');
  const key = newDeviceKey();
  const verified = await w.http.call('POST', '/v1/identity/signup/verify', {
    body: {
      signup_id: signup.body['signup_id'],
      email_code: await mailboxCode(w.http, email, w.deliver),
      phone_code: await mailboxCode(w.http, phone, w.deliver),
      device: { name: 'phone', public_key: key.publicJwk },
    },
    ip,
  });
  expectStatus(verified, 201, 'sign-up verification');
  const token = verified.body['session_token'] as string;
  const deviceId = verified.body['device_id'] as string;
  const enrol = await w.http.call('POST', '/v1/identity/factors/totp', {
    headers: bearer(token),
    body: {},
    ip,
  });
  expectStatus(enrol, 200, 'authenticator enrolment');
  const totpSecret = enrol.body['secret'] as string;
  const confirm = await w.http.call('POST', '/v1/identity/factors/totp/confirm', {
    headers: bearer(token),
    body: { code: totp(totpSecret, w.clock)() },
    ip,
  });
  expectStatus(confirm, 200, 'authenticator confirmation');
  await linkCard(w, { n, token, deviceId, key, ip });
  return {
    n,
    email,
    phone,
    password,
    customerId: verified.body['customer_id'] as string,
    totpSecret,
  };
}

async function linkCard(
  w: World,
  c: {
    n: number;
    token: string;
    deviceId: string;
    key: ReturnType<typeof newDeviceKey>;
    ip: string;
  },
): Promise<void> {
  const card = await w.modules.card.vault.tokenize({
    number: cardNumber(c.n),
    expMonth: 1 + (c.n % 12),
    expYear: 2030,
    merchantId: w.wallet.merchantId,
    actor: { type: 'merchant', id: w.wallet.merchantId },
  });
  const proof = await deviceProof(w.http, { ...c }, 'card_link');
  const link = await w.http.call('POST', '/v1/wallet/cards', {
    headers: {
      ...bearer(c.token),
      'kinko-device-proof': proof,
      'idempotency-key': `drill-link-${c.n}`,
      origin: w.origin,
    },
    body: { card_token: card.token },
    ip: c.ip,
  });
  expectStatus(link, 200, 'card link');
}

/** What one takeover attempt came to. */
export interface Takeover {
  victim: number;
  /** The step Kinko stopped it at, with the code; '' when the money was spent. */
  stoppedAt: string;
  code: string;
  toppedUpYen: number;
  spentYen: number;
}

const stopped = (victim: number, at: string, code: string, t = 0, s = 0): Takeover => ({
  ...{ victim, stoppedAt: at, code, toppedUpYen: t, spentYen: s },
});

/**
 * One victim taken over from `ip` with the phished password and authenticator: sign in,
 * register and confirm the attacker's phone, bind and step up, top up, pay at the register.
 */
export async function takeOver(
  w: World,
  c: Customer,
  o: { ip: string; amount: number },
): Promise<Takeover> {
  const call = (path: string, body: object, headers: Record<string, string> = {}) =>
    w.http.call('POST', path, { body, headers, ip: o.ip });
  const code = totp(c.totpSecret, w.clock);
  const login = await call('/v1/identity/login', { identifier: c.email, password: c.password });
  if (login.status !== 200) return stopped(c.n, 'sign-in', codeOf(login));
  let token = login.body['session_token'] as string;
  const key = newDeviceKey();
  const reg = await call(
    '/v1/identity/devices',
    { name: 'phone', public_key: key.publicJwk },
    bearer(token),
  );
  if (reg.status !== 202) return stopped(c.n, 'new device', codeOf(reg));
  const deviceId = reg.body['device_id'] as string;
  const conf = await call(
    `/v1/identity/devices/${deviceId}/confirm`,
    { totp_code: code() },
    bearer(token),
  );
  if (conf.status !== 200) return stopped(c.n, 'device confirmation', codeOf(conf));
  const session = { token, deviceId, key, ip: o.ip };
  const bindProof = await deviceProof(w.http, session, 'session_bind');
  const bind = await call(
    '/v1/identity/session/device',
    {},
    { ...bearer(token), 'kinko-device-proof': bindProof },
  );
  if (bind.status !== 200) return stopped(c.n, 'device binding', codeOf(bind));
  // A TOTP code is accepted once: the step-up waits for the authenticator's next one.
  w.clock.advanceMs(30_000);
  const up = await call('/v1/identity/step-up', { totp_code: code() }, bearer(token));
  if (up.status !== 200) return stopped(c.n, 'step-up', codeOf(up));
  token = up.body['session_token'] as string;
  return spend(w, c, { ...session, token }, o.amount);
}

async function spend(
  w: World,
  c: Customer,
  s: { token: string; deviceId: string; key: ReturnType<typeof newDeviceKey>; ip: string },
  amount: number,
): Promise<Takeover> {
  const cards = await w.http.call('GET', '/v1/wallet/cards', {
    headers: bearer(s.token),
    ip: s.ip,
  });
  const cardToken = ((cards.body['data'] ?? []) as { token: string }[])[0]?.token;
  if (!cardToken) throw new DrillError(`victim ${c.n} has no linked card`);
  const topup = await w.http.call('POST', '/v1/wallet/topups', {
    headers: {
      ...bearer(s.token),
      'kinko-device-proof': await deviceProof(w.http, s, 'topup'),
      'idempotency-key': `drill-topup-${c.n}-${w.clock.nowMs()}`,
      origin: w.origin,
    },
    body: { amount, card_token: cardToken },
    ip: s.ip,
  });
  if (topup.status !== 200 || topup.body['status'] !== 'succeeded') {
    return stopped(c.n, 'top-up', codeOf(topup) || String(topup.body['status']));
  }
  w.clock.advanceMs(60_000);
  const issued = await w.http.call('POST', '/v1/wallet/payment_codes', {
    headers: {
      ...bearer(s.token),
      'kinko-device-proof': await deviceProof(w.http, s, 'payment_code'),
    },
    body: {},
    ip: s.ip,
  });
  if (issued.status !== 200) return stopped(c.n, 'payment code', codeOf(issued), amount);
  const paid = await w.http.call('POST', '/v1/code_payments', {
    headers: { authorization: w.shop.terminalAuth, 'idempotency-key': `drill-pay-${c.n}` },
    body: { code: issued.body['payment_code'], amount, store_id: w.shop.storeId },
  });
  if (paid.status !== 200) return stopped(c.n, 'register payment', codeOf(paid), amount);
  return stopped(c.n, '', '', amount, amount);
}

/** A sign-in with a leaked credential that does not work here: most of a stuffing list. */
export async function stuffingFailure(w: World, ip: string, k: number): Promise<number> {
  const a = await w.http.call('POST', '/v1/identity/login', {
    body: { identifier: `leaked${k}@example.net`, password: `leaked password ${k}` },
    ip,
  });
  return a.status;
}

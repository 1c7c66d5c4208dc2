import { generateKeyPairSync, sign, type KeyObject } from 'node:crypto';
import { proofMessage, type Identity } from '../../src/identity/index.ts';
import type { Outbox } from '../../src/outbox/index.ts';
import { testPlatform, type TestPlatform } from './platform.ts';

// Identity's attack tests on the one test platform (every route mounted, as production),
// with a manual clock. Messages really go through the outbox and the notifier to the dev
// mailbox, delivered when a test reads it.

export const ORIGIN = 'http://localhost:8080';

type Message = { subject: string; text: string; channel: string };

export interface Harness extends TestPlatform {
  identity: Identity;
  outbox: Outbox;
  /** Delivers pending messages, then returns those sent to address, newest first. */
  mailbox(address: string): Promise<Message[]>;
  /** The newest numeric code sent to address. */
  lastCode(address: string): Promise<string>;
}

/** A test platform with identity's helpers: the mailbox and the codes sent to it. */
export function withMailbox(p: TestPlatform): Harness {
  const mailbox = async (address: string) => {
    // Receipts first: they become notices too.
    await p.modules.payments.sendReceiptsOnce();
    await p.jobs.deliverNotices();
    const url = `/dev/mailbox?to=${encodeURIComponent(address)}`;
    const res = await p.app.inject({ method: 'GET', url });
    return (res.json() as { messages: Message[] }).messages;
  };
  return {
    ...p,
    identity: p.modules.identity,
    outbox: p.modules.outbox,
    mailbox,
    lastCode: async (address) => {
      const texts = (await mailbox(address)).map((m) => m.text);
      const code = texts.map((t) => /\bcode (?:is )?(\d{6,8})\b/.exec(t)?.[1]).find(Boolean);
      if (!code) throw new Error(`no code sent to ${address}`);
      return code;
    },
  };
}

export async function harness(options: { env?: Record<string, string> } = {}): Promise<Harness> {
  return withMailbox(await testPlatform({ publicOrigin: ORIGIN, env: options.env }));
}

/** A wallet app's device key: ECDSA P-256, signing like WebCrypto (r‖s). */
export interface DeviceKey {
  publicJwk: Record<string, unknown>;
  privateKey: KeyObject;
  prove(action: string, challenge: string): string;
}

export function deviceKey(): DeviceKey {
  const { publicKey, privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const jwk = publicKey.export({ format: 'jwk' });
  return {
    publicJwk: { kty: jwk.kty, crv: jwk.crv, x: jwk.x, y: jwk.y },
    privateKey,
    prove: (action, challenge) => {
      const sig = sign('sha256', proofMessage(action, challenge), { key: privateKey, dsaEncoding: 'ieee-p1363' });
      return `${challenge}.${sig.toString('base64url')}`;
    },
  };
}

export interface Customer {
  email: string;
  phone: string;
  password: string;
  customerId: string;
  deviceId: string;
  token: string;
  device: DeviceKey;
}

export const auth = (token: string) => ({ authorization: `Bearer ${token}` });

/** Signs a customer up through the API, reading the codes from the dev mailbox. */
export async function signUp(h: Harness, n: number, password = `correct horse battery ${n}`): Promise<Customer> {
  const email = `customer${n}@example.com`;
  const phone = `+8190${String(10_000_000 + n).slice(-8)}`;
  let res = await h.app.inject({ method: 'POST', url: '/v1/identity/signup', payload: { email, phone, password } });
  if (res.statusCode !== 202) throw new Error(`signup ${res.statusCode} ${res.body}`);
  const signupId = res.json().signup_id as string;
  const device = deviceKey();
  res = await h.app.inject({
    method: 'POST', url: '/v1/identity/signup/verify',
    payload: {
      signup_id: signupId, email_code: await h.lastCode(email), phone_code: await h.lastCode(phone),
      device: { name: 'phone', public_key: device.publicJwk },
    },
  });
  if (res.statusCode !== 201) throw new Error(`verify ${res.statusCode} ${res.body}`);
  const b = res.json();
  return { email, phone, password, customerId: b.customer_id, deviceId: b.device_id, token: b.session_token, device };
}

/** A device proof for `action` from the customer's bound device. */
export async function proof(h: Harness, token: string, deviceId: string, key: DeviceKey, action: string): Promise<string> {
  const res = await h.app.inject({
    method: 'POST', url: '/v1/identity/devices/challenge', headers: auth(token), payload: { device_id: deviceId, action },
  });
  if (res.statusCode !== 200) throw new Error(`challenge ${res.statusCode} ${res.body}`);
  return key.prove(action, res.json().challenge as string);
}

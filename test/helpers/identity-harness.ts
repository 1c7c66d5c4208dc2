import { generateKeyPairSync, randomBytes, sign, type KeyObject } from 'node:crypto';
import type { FastifyInstance } from 'fastify';
import { createAudit } from '../../src/audit/index.ts';
import { loadConfig } from '../../src/config.ts';
import { createServer } from '../../src/http/index.ts';
import { createIdentity, identityRoutes, proofMessage, type Identity } from '../../src/identity/index.ts';
import { manualClock, type ManualClock } from '../../src/lib/clock.ts';
import { createNotifier, deliverEvent, NOTIFY_TOPIC } from '../../src/notify/index.ts';
import { createOutbox, type Outbox } from '../../src/outbox/index.ts';
import { capturedLogger } from './log.ts';
import { createTestDb, type TestDb } from './db.ts';

// A Kinko with only identity mounted, on a fresh database, with a manual clock, for the
// attack tests. Messages really go through the outbox and the notifier to the dev mailbox.

export const ORIGIN = 'http://localhost:8080';

export interface Harness {
  db: TestDb;
  app: FastifyInstance;
  identity: Identity;
  outbox: Outbox;
  clock: ManualClock;
  limits: ReturnType<typeof loadConfig>['limits'];
  /** Delivers pending messages, then returns those sent to address, newest first. */
  mailbox(address: string): Promise<{ subject: string; text: string; channel: string }[]>;
  /** The newest numeric code sent to address. */
  lastCode(address: string): Promise<string>;
  close(): Promise<void>;
}

export async function harness(
  options: {
    extraRoutes?: (app: FastifyInstance, identity: Identity) => void;
    env?: Record<string, string>;
    /** The identity secrets key (TOTP sealing); a random one by default. */
    secretsKey?: Buffer;
  } = {},
): Promise<Harness> {
  const db = await createTestDb();
  const clock = manualClock(Date.UTC(2026, 3, 1, 9, 0, 0));
  const config = loadConfig({ KINKO_ENV: 'test', ...options.env });
  const { log } = capturedLogger('warn');
  const audit = createAudit({ clock, sql: db.sql });
  const outbox = createOutbox({ sql: db.sql, clock, limits: config.limits });
  const identity = createIdentity({
    sql: db.sql, clock, audit, outbox, limits: config.limits.identity, log, env: 'test', origin: ORIGIN,
    secretsKey: options.secretsKey ?? randomBytes(32),
  });
  const app = await createServer({
    log, limits: config.limits, version: 'test', trustedProxies: config.trustedProxies,
    routes: (scope) => {
      identityRoutes(scope, identity);
      options.extraRoutes?.(scope, identity);
    },
  });
  const notifier = createNotifier({ sql: db.sql, clock, log, env: 'test' });
  const deliver = async () => {
    for (;;) {
      const events = await outbox.claim({ topics: [NOTIFY_TOPIC], max: 100, leaseSeconds: 30, owner: 'test' });
      if (events.length === 0) return;
      for (const e of events) {
        await deliverEvent(notifier, e, log);
        await outbox.complete(e.id, 'test');
      }
    }
  };
  const mailbox = async (address: string) => {
    await deliver();
    const res = await app.inject({ method: 'GET', url: `/dev/mailbox?to=${encodeURIComponent(address)}` });
    return (res.json() as { messages: { subject: string; text: string; channel: string }[] }).messages;
  };
  return {
    db, app, identity, outbox, clock, limits: config.limits, mailbox,
    lastCode: async (address) => {
      const texts = (await mailbox(address)).map((m) => m.text);
      const code = texts.map((t) => /\bcode (?:is )?(\d{6,8})\b/.exec(t)?.[1]).find(Boolean);
      if (!code) throw new Error(`no code sent to ${address}`);
      return code;
    },
    close: async () => {
      await app.close();
      await db.close();
    },
  };
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

import { createHmac, generateKeyPairSync, sign, type KeyObject } from 'node:crypto';
import { proofMessage } from './identity/index.ts';
import type { Clock } from './lib/clock.ts';

// The drill's HTTP side: Kinko's real API over a socket on 127.0.0.1, each request from the
// source address the drill says (X-Forwarded-For, believed because the scratch platform
// trusts only 127.0.0.1 as its proxy), and what a customer's phone and authenticator app do:
// a P-256 device key that signs challenges, and TOTP codes from the platform's clock.

interface Answer {
  status: number;
  body: Record<string, unknown>;
}

/** A failed step of the drill: what was asked, and what Kinko answered. */
export class DrillError extends Error {
  override name = 'DrillError';
}

export interface Http {
  call(
    method: 'GET' | 'POST',
    path: string,
    o?: { body?: object; headers?: Record<string, string>; ip?: string },
  ): Promise<Answer>;
}

export function httpClient(baseUrl: string): Http {
  return {
    call: async (method, path, o = {}) => {
      const headers: Record<string, string> = { ...o.headers };
      if (o.ip) headers['x-forwarded-for'] = o.ip;
      if (o.body) headers['content-type'] = 'application/json';
      const res = await fetch(`${baseUrl}${path}`, {
        method,
        headers,
        ...(o.body ? { body: JSON.stringify(o.body) } : {}),
      });
      const text = await res.text();
      let body: Record<string, unknown> = {};
      try {
        body = text ? (JSON.parse(text) as Record<string, unknown>) : {};
      } catch {
        body = { text };
      }
      return { status: res.status, body };
    },
  };
}

/** Throws a DrillError unless Kinko answered `status`. */
export function expectStatus(a: Answer, status: number, what: string): Answer {
  if (a.status !== status) {
    throw new DrillError(`${what}: HTTP ${a.status} ${JSON.stringify(a.body).slice(0, 300)}`);
  }
  return a;
}

export const bearer = (token: string) => ({ authorization: `Bearer ${token}` });

/** The error code of a refusal, or '' when the request succeeded. */
export function codeOf(a: Answer): string {
  const e = a.body['error'] as { code?: string } | undefined;
  return e?.code ?? '';
}

/** A phone's device key: public JWK to register, private key to sign challenges. */
interface DeviceKey {
  publicJwk: Record<string, unknown>;
  privateKey: KeyObject;
}

export function newDeviceKey(): DeviceKey {
  const { publicKey, privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const jwk = publicKey.export({ format: 'jwk' });
  return { publicJwk: { kty: jwk.kty, crv: jwk.crv, x: jwk.x, y: jwk.y }, privateKey };
}

/** Asks for a challenge for `action` and signs it with the device key, as the wallet app. */
export async function deviceProof(
  http: Http,
  s: { token: string; deviceId: string; key: DeviceKey; ip: string },
  action: string,
): Promise<string> {
  const ch = await http.call('POST', '/v1/identity/devices/challenge', {
    headers: bearer(s.token),
    body: { device_id: s.deviceId, action },
    ip: s.ip,
  });
  expectStatus(ch, 200, `device challenge (${action})`);
  const challenge = ch.body['challenge'] as string;
  const sig = sign('sha256', proofMessage(action, challenge), {
    key: s.key.privateKey,
    dsaEncoding: 'ieee-p1363',
  });
  return `${challenge}.${sig.toString('base64url')}`;
}

const BASE32 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';

function base32Decode(s: string): Buffer {
  let bits = 0;
  let value = 0;
  const out: number[] = [];
  for (const c of s.replace(/=+$/, '').toUpperCase()) {
    const i = BASE32.indexOf(c);
    if (i < 0) throw new DrillError('bad base32 in a TOTP secret');
    value = (value << 5) | i;
    bits += 5;
    if (bits >= 8) {
      out.push((value >>> (bits - 8)) & 255);
      bits -= 8;
    }
  }
  return Buffer.from(out);
}

/** An authenticator app (RFC 6238: HMAC-SHA1, 30 s, 6 digits) reading the platform's clock. */
export function totp(secretBase32: string, clock: Clock): () => string {
  const key = base32Decode(secretBase32);
  return () => {
    const counter = Buffer.alloc(8);
    counter.writeBigUInt64BE(BigInt(Math.floor(clock.nowMs() / 30_000)));
    const mac = createHmac('sha1', key).update(counter).digest();
    const off = mac[mac.length - 1]! & 15;
    const n = (mac.readUInt32BE(off) & 0x7fffffff) % 1_000_000;
    return String(n).padStart(6, '0');
  };
}

/**
 * The newest numeric code the dev mailbox holds for an address (sign-up, device codes),
 * delivering what is ready first; messages of customers signed up in parallel may still be
 * on their way, so it asks again a few times.
 */
export async function mailboxCode(
  http: Http,
  address: string,
  deliver: () => Promise<unknown>,
): Promise<string> {
  for (let attempt = 0; attempt < 40; attempt++) {
    await deliver();
    const res = await http.call('GET', `/dev/mailbox?to=${encodeURIComponent(address)}`);
    const messages = (res.body['messages'] ?? []) as { text: string }[];
    const code = messages.map((m) => /\bcode (?:is )?(\d{6,8})\b/.exec(m.text)?.[1]).find(Boolean);
    if (code) return code;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new DrillError(`no code in the dev mailbox for ${address}`);
}

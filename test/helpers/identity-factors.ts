import { generateHOTP } from '@oslojs/otp';
import { auth, type Customer, type Harness } from './identity-harness.ts';

// Test-side second factors: an authenticator app computing TOTP codes from the enrolled
// secret with @oslojs/otp directly (not through Kinko's own TOTP code).

export function base32Decode(text: string): Uint8Array {
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';
  let bits = 0;
  let value = 0;
  const out: number[] = [];
  for (const ch of text.replace(/=+$/, '')) {
    value = ((value << 5) | alphabet.indexOf(ch)) & 0xffff;
    bits += 5;
    if (bits >= 8) {
      out.push((value >>> (bits - 8)) & 0xff);
      bits -= 8;
    }
  }
  return Uint8Array.from(out);
}

export interface Authenticator {
  secret: Uint8Array;
  code(nowMs: number): string;
}

export function authenticator(secretBase32: string): Authenticator {
  return authenticatorOf(base32Decode(secretBase32));
}

/** An authenticator app holding these secret bytes. */
export function authenticatorOf(secret: Uint8Array): Authenticator {
  return { secret, code: (nowMs) => generateHOTP(secret, BigInt(Math.floor(nowMs / 30_000)), 6) };
}

/** Enrols TOTP for a signed-up customer; returns the app and the recovery codes. */
export async function enrolTotp(h: Harness, c: Customer): Promise<{ app: Authenticator; recoveryCodes: string[] }> {
  let res = await h.app.inject({ method: 'POST', url: '/v1/identity/factors/totp', headers: auth(c.token), payload: {} });
  if (res.statusCode !== 200) throw new Error(`totp ${res.statusCode} ${res.body}`);
  const app = authenticator(res.json().secret as string);
  res = await h.app.inject({
    method: 'POST', url: '/v1/identity/factors/totp/confirm', headers: auth(c.token), payload: { code: app.code(h.clock.nowMs()) },
  });
  if (res.statusCode !== 200) throw new Error(`totp confirm ${res.statusCode} ${res.body}`);
  h.clock.advanceMs(30_000);
  return { app, recoveryCodes: res.json().recovery_codes as string[] };
}

/** Steps up with TOTP; returns the rotated session token. */
export async function stepUpTotp(h: Harness, token: string, app: Authenticator): Promise<string> {
  const res = await h.app.inject({
    method: 'POST', url: '/v1/identity/step-up', headers: auth(token), payload: { totp_code: app.code(h.clock.nowMs()) },
  });
  if (res.statusCode !== 200) throw new Error(`step-up ${res.statusCode} ${res.body}`);
  h.clock.advanceMs(30_000);
  return res.json().session_token as string;
}

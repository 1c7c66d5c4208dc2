import assert from 'node:assert/strict';
import { authenticator } from './identity-factors.ts';
import type { Harness } from './identity-harness.ts';

// An operator of a given role, created and signed in (password and TOTP), for tests of the
// console API.

export type Role = 'support' | 'risk_analyst' | 'security_admin';

export interface SignedInOperator {
  id: string;
  email: string;
  token: string;
  headers: { authorization: string };
}

export async function signedInOperator(
  h: Harness,
  n: number,
  role: Role,
): Promise<SignedInOperator> {
  const email = `op${n}@kinko.example`;
  const password = `operator passphrase ${n}`;
  const made = await h.identity.createOperator({ email, name: `Op ${n}`, role, password });
  h.clock.advanceMs(30_000);
  const res = await h.app.inject({
    method: 'POST',
    url: '/v1/operator/login',
    remoteAddress: `10.9.${n}.1`,
    payload: { email, password, totp_code: authenticator(made.totpSecret).code(h.clock.nowMs()) },
  });
  assert.equal(res.statusCode, 200, res.body);
  const token = res.json().session_token as string;
  return { id: made.operatorId, email, token, headers: { authorization: `Bearer ${token}` } };
}

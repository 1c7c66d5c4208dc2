import {
  generateAuthenticationOptions,
  generateRegistrationOptions,
  verifyAuthenticationResponse,
  verifyRegistrationResponse,
  type AuthenticationResponseJSON,
  type PublicKeyCredentialCreationOptionsJSON,
  type PublicKeyCredentialRequestOptionsJSON,
  type RegistrationResponseJSON,
} from '@simplewebauthn/server';
import type { Tx } from '../db/index.ts';
import { at, type Deps } from './context.ts';
import { randomChallenge } from './secrets.ts';
import * as store from './store.ts';

// Passkeys (WebAuthn Level 3) through @simplewebauthn/server. Every ceremony's challenge is
// issued by us, stored, bound to the customer and purpose, and used once: the challenge a
// response carries is consumed before its signature is checked, so a replayed or failed
// response burns it either way (fail closed). Origin and RP ID are fixed by configuration.

export type { AuthenticationResponseJSON, RegistrationResponseJSON };

/** The challenge a response echoes, read from its clientDataJSON without trusting it. */
function challengeOf(clientDataJSON: string): string | undefined {
  try {
    const data = JSON.parse(Buffer.from(clientDataJSON, 'base64url').toString('utf8')) as {
      challenge?: unknown;
    };
    return typeof data.challenge === 'string' ? data.challenge : undefined;
  } catch {
    return undefined;
  }
}

export async function registrationOptions(
  deps: Deps,
  customer: { id: string; email: string },
): Promise<PublicKeyCredentialCreationOptionsJSON> {
  const existing = await store.passkeysOf(deps.sql, customer.id);
  const challenge = randomChallenge();
  await store.insertWebauthnChallenge(deps.sql, {
    challenge,
    customer_id: customer.id,
    purpose: 'register',
    expires_at: at(deps, deps.limits.webauthnChallengeSecondsMax),
  });
  return generateRegistrationOptions({
    rpName: 'Kinko',
    rpID: deps.rpId,
    userName: customer.email,
    userID: Buffer.from(customer.id.replace(/-/g, ''), 'hex'),
    challenge: Buffer.from(challenge, 'base64url'),
    attestationType: 'none',
    excludeCredentials: existing.map((p) => ({ id: p.credential_id })),
    authenticatorSelection: { residentKey: 'preferred', userVerification: 'preferred' },
    supportedAlgorithmIDs: [-7, -257],
    timeout: deps.limits.webauthnChallengeSecondsMax * 1000,
  });
}

/** Verifies and stores a new passkey; false when anything does not hold. */
export async function registerPasskey(
  deps: Deps,
  tx: Tx,
  customerId: string,
  response: RegistrationResponseJSON,
): Promise<boolean> {
  const challenge = challengeOf(response.response.clientDataJSON);
  if (!challenge) return false;
  const fresh = await store.consumeWebauthnChallenge(tx, {
    challenge,
    customerId,
    purpose: 'register',
    now: at(deps),
  });
  if (!fresh) return false;
  try {
    const result = await verifyRegistrationResponse({
      response,
      expectedChallenge: challenge,
      expectedOrigin: deps.origin,
      expectedRPID: deps.rpId,
      requireUserVerification: false,
      supportedAlgorithmIDs: [-7, -257],
    });
    if (!result.verified) return false;
    const c = result.registrationInfo.credential;
    return await store.insertPasskey(tx, {
      credential_id: c.id,
      customer_id: customerId,
      public_key: Buffer.from(c.publicKey),
      counter: BigInt(c.counter),
      transports: c.transports ?? [],
      created_at: at(deps),
    });
  } catch (error) {
    deps.log.info({ err: error }, 'passkey registration refused');
    return false;
  }
}

export async function authenticationOptions(
  deps: Deps,
  customerId: string,
): Promise<PublicKeyCredentialRequestOptionsJSON> {
  const keys = await store.passkeysOf(deps.sql, customerId);
  const challenge = randomChallenge();
  await store.insertWebauthnChallenge(deps.sql, {
    challenge,
    customer_id: customerId,
    purpose: 'authenticate',
    expires_at: at(deps, deps.limits.webauthnChallengeSecondsMax),
  });
  return generateAuthenticationOptions({
    rpID: deps.rpId,
    challenge: Buffer.from(challenge, 'base64url'),
    allowCredentials: keys.map((k) => ({ id: k.credential_id, transports: k.transports })),
    userVerification: 'preferred',
    timeout: deps.limits.webauthnChallengeSecondsMax * 1000,
  });
}

/**
 * Verifies an assertion by one of the customer's passkeys. The signature counter must grow
 * when the authenticator keeps one (a cloned authenticator shows a counter going back).
 */
export async function verifyPasskey(
  deps: Deps,
  tx: Tx,
  customerId: string,
  response: AuthenticationResponseJSON,
): Promise<boolean> {
  const challenge = challengeOf(response.response.clientDataJSON);
  if (!challenge) return false;
  const fresh = await store.consumeWebauthnChallenge(tx, {
    challenge,
    customerId,
    purpose: 'authenticate',
    now: at(deps),
  });
  const key = await store.lockPasskey(tx, response.id, customerId);
  if (!fresh || !key) return false;
  try {
    const result = await verifyAuthenticationResponse({
      response,
      expectedChallenge: challenge,
      expectedOrigin: deps.origin,
      expectedRPID: deps.rpId,
      credential: {
        id: key.credential_id,
        publicKey: new Uint8Array(key.public_key),
        counter: Number(key.counter),
        transports: key.transports,
      },
      requireUserVerification: false,
    });
    const next = BigInt(result.authenticationInfo.newCounter);
    const grows = next > key.counter || (next === 0n && key.counter === 0n);
    if (!result.verified || !grows) return false;
    await store.passkeyUsed(tx, key.credential_id, next, at(deps));
    return true;
  } catch (error) {
    deps.log.info({ err: error }, 'passkey assertion refused');
    return false;
  }
}

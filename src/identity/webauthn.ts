import type {
  PublicKeyCredentialCreationOptionsJSON,
  PublicKeyCredentialRequestOptionsJSON,
} from '@simplewebauthn/server';
import type { Tx } from '../db/index.ts';
import { at, type Deps } from './context.ts';
import {
  authenticationOptionsFor,
  challengeOf,
  registrationOptionsFor,
  verifyAssertion,
  verifyRegistration,
  type AuthenticationResponseJSON,
  type RegistrationResponseJSON,
  type RelyingParty,
} from './passkey-ceremony.ts';
import { randomChallenge } from './secrets.ts';
import * as store from './store.ts';

// Customers' passkeys (WebAuthn Level 3). Every ceremony's challenge is issued by us,
// stored, bound to the customer and purpose, and used once: the challenge a response
// carries is consumed before its signature is checked (passkey-ceremony.ts), so a replayed
// or failed response burns it either way (fail closed). Origin and RP ID are fixed by
// configuration.

export type { AuthenticationResponseJSON, RegistrationResponseJSON };

export function relyingParty(deps: Deps): RelyingParty {
  return {
    origin: deps.origin,
    rpId: deps.rpId,
    challengeSecondsMax: deps.limits.webauthnChallengeSecondsMax,
    log: deps.log,
  };
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
  return registrationOptionsFor(relyingParty(deps), {
    idHex: customer.id.replace(/-/g, ''),
    name: customer.email,
    challenge,
    existing: existing.map((p) => p.credential_id),
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
  const key = await verifyRegistration(relyingParty(deps), response, challenge);
  if (!key) return false;
  return store.insertPasskey(tx, { ...key, customer_id: customerId, created_at: at(deps) });
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
  return authenticationOptionsFor(relyingParty(deps), { challenge, allow: keys });
}

/** Verifies an assertion by one of the customer's passkeys (its counter must grow). */
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
  const next = await verifyAssertion(relyingParty(deps), response, challenge, key);
  if (next === undefined) return false;
  await store.passkeyUsed(tx, key.credential_id, next, at(deps));
  return true;
}

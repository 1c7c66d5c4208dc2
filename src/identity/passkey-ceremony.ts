import {
  generateAuthenticationOptions,
  generateRegistrationOptions,
  verifyAuthenticationResponse,
  verifyRegistrationResponse,
  type AuthenticationResponseJSON,
  type AuthenticatorTransport,
  type PublicKeyCredentialCreationOptionsJSON,
  type PublicKeyCredentialRequestOptionsJSON,
  type RegistrationResponseJSON,
} from '@simplewebauthn/server';
import type { Logger } from '../lib/log.ts';

// The WebAuthn ceremonies themselves (@simplewebauthn/server), apart from where challenges
// and keys are stored: customers' passkeys (webauthn.ts) and merchant people's (through the
// sign-in kit) are verified by these same functions. The caller consumes the challenge
// before asking for a verification, so a replayed or failed response burns it either way.

export type { AuthenticationResponseJSON, RegistrationResponseJSON };

/** ES256 and RS256: what platform and roaming authenticators offer. */
const ALGORITHMS = [-7, -257];

export interface RelyingParty {
  origin: string;
  rpId: string;
  challengeSecondsMax: number;
  log: Logger;
}

export interface StoredPasskey {
  credential_id: string;
  public_key: Buffer;
  counter: bigint;
  transports: string[];
}

/** The challenge a response echoes, read from its clientDataJSON without trusting it. */
export function challengeOf(clientDataJSON: string): string | undefined {
  try {
    const data = JSON.parse(Buffer.from(clientDataJSON, 'base64url').toString('utf8')) as {
      challenge?: unknown;
    };
    return typeof data.challenge === 'string' ? data.challenge : undefined;
  } catch {
    return undefined;
  }
}

export function registrationOptionsFor(
  rp: RelyingParty,
  user: { idHex: string; name: string; challenge: string; existing: readonly string[] },
): Promise<PublicKeyCredentialCreationOptionsJSON> {
  return generateRegistrationOptions({
    rpName: 'Kinko',
    rpID: rp.rpId,
    userName: user.name,
    userID: Buffer.from(user.idHex, 'hex'),
    challenge: Buffer.from(user.challenge, 'base64url'),
    attestationType: 'none',
    excludeCredentials: user.existing.map((id) => ({ id })),
    authenticatorSelection: { residentKey: 'preferred', userVerification: 'preferred' },
    supportedAlgorithmIDs: ALGORITHMS,
    timeout: rp.challengeSecondsMax * 1000,
  });
}

/** A verified new credential, or undefined when anything does not hold. */
export async function verifyRegistration(
  rp: RelyingParty,
  response: RegistrationResponseJSON,
  challenge: string,
): Promise<StoredPasskey | undefined> {
  try {
    const result = await verifyRegistrationResponse({
      response,
      expectedChallenge: challenge,
      expectedOrigin: rp.origin,
      expectedRPID: rp.rpId,
      requireUserVerification: false,
      supportedAlgorithmIDs: ALGORITHMS,
    });
    if (!result.verified) return undefined;
    const c = result.registrationInfo.credential;
    return {
      credential_id: c.id,
      public_key: Buffer.from(c.publicKey),
      counter: BigInt(c.counter),
      transports: c.transports ?? [],
    };
  } catch (error) {
    rp.log.info({ err: error }, 'passkey registration refused');
    return undefined;
  }
}

export function authenticationOptionsFor(
  rp: RelyingParty,
  q: { challenge: string; allow: ReadonlyArray<{ credential_id: string; transports: string[] }> },
): Promise<PublicKeyCredentialRequestOptionsJSON> {
  return generateAuthenticationOptions({
    rpID: rp.rpId,
    challenge: Buffer.from(q.challenge, 'base64url'),
    allowCredentials: q.allow.map((k) => ({
      id: k.credential_id,
      transports: k.transports as AuthenticatorTransport[],
    })),
    userVerification: 'preferred',
    timeout: rp.challengeSecondsMax * 1000,
  });
}

/**
 * The new signature counter when the assertion verifies and the counter grows (an
 * authenticator that keeps one; a cloned one shows it going back), else undefined.
 */
export async function verifyAssertion(
  rp: RelyingParty,
  response: AuthenticationResponseJSON,
  challenge: string,
  key: StoredPasskey,
): Promise<bigint | undefined> {
  try {
    const result = await verifyAuthenticationResponse({
      response,
      expectedChallenge: challenge,
      expectedOrigin: rp.origin,
      expectedRPID: rp.rpId,
      credential: {
        id: key.credential_id,
        publicKey: new Uint8Array(key.public_key),
        counter: Number(key.counter),
        transports: key.transports as AuthenticatorTransport[],
      },
      requireUserVerification: false,
    });
    const next = BigInt(result.authenticationInfo.newCounter);
    const grows = next > key.counter || (next === 0n && key.counter === 0n);
    return result.verified && grows ? next : undefined;
  } catch (error) {
    rp.log.info({ err: error }, 'passkey assertion refused');
    return undefined;
  }
}

import { randomBytes } from 'node:crypto';
import type { AuditEntryInput } from '../audit/index.ts';
import type { Tx } from '../db/index.ts';
import type { Deps, Source } from './context.ts';
import { normalizeEmail } from './contacts.ts';
import {
  attemptFailed,
  attemptSucceeded,
  identifierHash,
  reserveAttempt,
  type Reservation,
} from './login-guard.ts';
import { sealTotpSecret, totpSecretOf } from './sealed.ts';
import { normalizeRecoveryCode, randomChallenge, recoveryCode, sha256 } from './secrets.ts';
import { secretToken } from '../lib/ids.ts';
import { base32, matchTotp, otpauthUri } from './totp.ts';
import {
  authenticationOptionsFor,
  challengeOf,
  registrationOptionsFor,
  verifyAssertion,
  verifyRegistration,
  type AuthenticationResponseJSON,
  type RegistrationResponseJSON,
  type StoredPasskey,
} from './passkey-ceremony.ts';
import { relyingParty } from './webauthn.ts';

// The sign-in kit: identity's credential mechanisms for a realm whose accounts another module
// keeps (merchant people, kept by merchants/team). It hands out the very functions operators
// sign in with — the password policy and argon2id, sealed TOTP with replay protection, the
// per-source and per-identifier throttles with their stuffing detection, session tokens and
// recovery codes — so a second realm gets the same rules by construction, never a copy.
// The realm counts in throttle buckets of its own (`merchant:<network>`), and its limits are
// the operators' (PCI DSS 4.0 8.2.8, 8.3.4, 8.3.6): staff of a merchant reach money too.

/** A sign-in attempt counted (source and identifier) before its password is checked. */
export type SignInReservation = Reservation;

interface SignInLimits {
  passwordCharsMin: number;
  failuresLockAfter: number;
  lockSeconds: number;
  sessionIdleSecondsMax: number;
  sessionAbsoluteSecondsMax: number;
}

interface NewTotp {
  /** Sealed under the identity secrets key, bound to the owner: what the row stores. */
  box: Buffer;
  /** Base32, shown once for the authenticator app. */
  secret: string;
  otpauthUri: string;
}

export interface SignInKit {
  readonly limits: SignInLimits;
  /** Lower-cased and checked, or undefined when it is not an email address. */
  normalizeEmail(raw: string): string | undefined;
  /** The password policy (length, common and breached lists), then argon2id. */
  hashPassword(password: string): Promise<string>;
  /** Against a dummy hash when there is none, so an unknown account costs the same time. */
  verifyPassword(stored: string | undefined, password: string): Promise<boolean>;
  newTotp(ownerId: string, account: string): NewTotp;
  /** The step the code matches (after lastStep: no replay), or undefined; fails closed. */
  matchTotp(
    ownerId: string,
    box: Buffer | null,
    code: string,
    lastStep: bigint | null,
  ): bigint | undefined;
  /** Throws login_throttled / source_blocked / password_login_disabled, counted first. */
  reserve(source: Source, identifier: string): Promise<SignInReservation>;
  /** The attempt failed: its count stays; returns audit entries it calls for. */
  failed(tx: Tx, r: SignInReservation, source: Source): Promise<AuditEntryInput[]>;
  /** The password was right: the source's count is taken back, the identifier's cleared. */
  succeeded(tx: Tx, r: SignInReservation): Promise<void>;
  /** A session token (`kms_…`, 256 random bits) and what to store of it. */
  sessionToken(): { token: string; hash: Buffer };
  tokenHash(token: string): Buffer;
  /** A fresh set of recovery codes (shown once) and their hashes (stored). */
  recoveryCodes(): { codes: string[]; hashes: Buffer[] };
  /** The hash a typed recovery code is looked up by (case, dashes and spaces forgiven). */
  recoveryCodeHash(typed: string): Buffer;
  /** Passkeys, verified by the customers' very ceremonies; the realm stores the keys. */
  readonly passkeys: RealmPasskeys;
}

/**
 * WebAuthn for a realm that keeps its own challenges and keys. The realm stores each
 * challenge it hands out and consumes it before asking for a verification, so a response is
 * checked at most once.
 */
interface RealmPasskeys {
  readonly challengeSecondsMax: number;
  newChallenge(): string;
  /** The challenge a response echoes (untrusted: look it up, consume it, then verify). */
  challengeOf(clientDataJSON: string): string | undefined;
  registrationOptions(user: {
    idHex: string;
    name: string;
    challenge: string;
    existing: readonly string[];
  }): Promise<unknown>;
  verifyRegistration(
    response: RegistrationResponseJSON,
    challenge: string,
  ): Promise<StoredPasskey | undefined>;
  authenticationOptions(q: {
    challenge: string;
    allow: ReadonlyArray<{ credential_id: string; transports: string[] }>;
  }): Promise<unknown>;
  /** The new signature counter, or undefined (bad signature, origin, or a counter gone back). */
  verifyAssertion(
    response: AuthenticationResponseJSON,
    challenge: string,
    key: StoredPasskey,
  ): Promise<bigint | undefined>;
}

export type { AuthenticationResponseJSON, RegistrationResponseJSON };

function realmPasskeys(deps: Deps): RealmPasskeys {
  const rp = relyingParty(deps);
  return {
    challengeSecondsMax: rp.challengeSecondsMax,
    newChallenge: randomChallenge,
    challengeOf,
    registrationOptions: (user) => registrationOptionsFor(rp, user),
    verifyRegistration: (response, challenge) => verifyRegistration(rp, response, challenge),
    authenticationOptions: (q) => authenticationOptionsFor(rp, q),
    verifyAssertion: (response, challenge, key) => verifyAssertion(rp, response, challenge, key),
  };
}

export function createSignInKit(deps: Deps): SignInKit {
  const l = deps.limits;
  const owner = (id: string) => ({ kind: 'merchant_person' as const, id });
  const totpParams = (driftStepsMax: number) => ({
    stepSeconds: l.totpStepSeconds,
    digits: l.totpDigits,
    driftStepsMax,
  });
  return {
    limits: {
      passwordCharsMin: l.operatorPasswordCharsMin,
      failuresLockAfter: l.operatorFailuresLockAfter,
      lockSeconds: l.operatorLockSeconds,
      sessionIdleSecondsMax: l.operatorSessionIdleSecondsMax,
      sessionAbsoluteSecondsMax: l.operatorSessionAbsoluteSecondsMax,
    },
    normalizeEmail,
    hashPassword: async (password) => {
      await deps.passwords.check(password, l.operatorPasswordCharsMin);
      return deps.passwords.hash(password);
    },
    verifyPassword: (stored, password) => deps.passwords.verify(stored, password),
    newTotp: (ownerId, account) => {
      const secret = randomBytes(20);
      return {
        box: sealTotpSecret(deps.secretsKey, owner(ownerId), secret),
        secret: base32(secret),
        otpauthUri: otpauthUri('Kinko merchants', account, secret, totpParams(1)),
      };
    },
    matchTotp: (ownerId, box, code, lastStep) => {
      const secret = totpSecretOf(deps, owner(ownerId), box);
      if (!secret) return undefined;
      return matchTotp(secret, code, deps.clock.nowMs(), lastStep, totpParams(l.totpDriftStepsMax));
    },
    reserve: (source, identifier) =>
      reserveAttempt(deps, 'merchant', source, identifierHash('merchant', identifier)),
    failed: (tx, r, source) => attemptFailed(deps, tx, r, source, null),
    succeeded: (tx, r) => attemptSucceeded(deps, tx, r, 'clear'),
    sessionToken: () => {
      const token = secretToken('kms');
      return { token, hash: sha256(token) };
    },
    tokenHash: (token) => sha256(token),
    recoveryCodes: () => {
      const codes = Array.from({ length: l.recoveryCodesPerSet }, () =>
        recoveryCode(l.recoveryCodeBits),
      );
      return { codes, hashes: codes.map((c) => sha256(normalizeRecoveryCode(c))) };
    },
    recoveryCodeHash: (typed) => sha256(normalizeRecoveryCode(typed)),
    passkeys: realmPasskeys(deps),
  };
}

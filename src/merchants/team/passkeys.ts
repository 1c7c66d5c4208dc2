import type { Tx } from '../../db/index.ts';
import type { AuthenticationResponseJSON, RegistrationResponseJSON } from '../../identity/index.ts';
import type { KinkoError } from '../../lib/errors.ts';
import type { Source } from '../merchants.ts';
import { merchantsError } from '../errors.ts';
import { at, commitThenThrow, personEntry, type TeamDeps } from './context.ts';
import * as store from './store.ts';

// A merchant person's passkeys: a second factor in place of the TOTP code at sign-in. Adding
// or removing one takes the person's session and a current TOTP code (a stolen session alone
// cannot plant an attacker's passkey); a wrong code counts toward the account's lock as a
// failed sign-in does. The ceremonies are identity's (the sign-in kit); this file keeps the
// keys and challenges, each challenge spent once before its response is verified.

/** The signed-in person a passkey change is for (a PersonSession). */
interface PersonSession {
  personId: string;
  merchantId: string;
  email: string;
}

interface PasskeyView {
  credential_id: string;
  name: string;
  created_at: string;
  last_used_at: string | null;
}

const view = (k: store.PersonPasskeyRow): PasskeyView => ({
  credential_id: k.credential_id,
  name: k.name,
  created_at: k.created_at.toISOString(),
  last_used_at: k.last_used_at?.toISOString() ?? null,
});

export async function listPasskeys(deps: TeamDeps, s: PersonSession): Promise<PasskeyView[]> {
  return (await store.passkeysOfPerson(deps.sql, s.personId)).map(view);
}

export async function passkeyRegistrationOptions(deps: TeamDeps, s: PersonSession) {
  const k = deps.kit.passkeys;
  const existing = await store.passkeysOfPerson(deps.sql, s.personId);
  const challenge = k.newChallenge();
  await store.insertPasskeyChallenge(
    deps.sql,
    {
      challenge,
      personId: s.personId,
      purpose: 'register',
      expiresAt: at(deps, k.challengeSecondsMax),
    },
    at(deps),
  );
  return k.registrationOptions({
    idHex: s.personId.replace(/-/g, ''),
    name: s.email,
    challenge,
    existing: existing.map((e) => e.credential_id),
  });
}

/** Sign-in options: bound to no one, offering any Kinko passkey the browser holds. */
export async function passkeyLoginOptions(deps: TeamDeps) {
  const k = deps.kit.passkeys;
  const challenge = k.newChallenge();
  const expiresAt = at(deps, k.challengeSecondsMax);
  await store.insertPasskeyChallenge(
    deps.sql,
    { challenge, personId: null, purpose: 'login', expiresAt },
    at(deps),
  );
  return k.authenticationOptions({ challenge, allow: [] });
}

/**
 * The passkey second factor at sign-in, for the person whose password was right: the
 * challenge is spent, the key must be this person's, its signature and counter must hold.
 */
export async function passkeyFactor(
  deps: TeamDeps,
  tx: Tx,
  personId: string,
  response: AuthenticationResponseJSON,
): Promise<boolean> {
  const k = deps.kit.passkeys;
  const challenge = k.challengeOf(response.response.clientDataJSON);
  if (!challenge) return false;
  const now = at(deps);
  const fresh = await store.consumePasskeyChallenge(tx, {
    ...{ challenge, personId: null, purpose: 'login', now },
  });
  const key = await store.lockPersonPasskey(tx, response.id, personId);
  if (!fresh || !key) return false;
  const next = await k.verifyAssertion(response, challenge, key);
  if (next === undefined) return false;
  await store.personPasskeyUsed(tx, key.credential_id, next, now);
  return true;
}

/**
 * The person's current TOTP code, checked inside tx: a wrong one counts as a failed sign-in
 * (and may lock the account); null when it matched, else the error to throw after commit.
 */
async function stepUp(
  deps: TeamDeps,
  tx: Tx,
  s: PersonSession,
  code: string,
  source: Source,
): Promise<KinkoError | null> {
  const p = await store.lockPerson(tx, s.personId);
  if (!p || p.status !== 'active') return merchantsError('person_session_expired');
  if (p.locked_until && p.locked_until.getTime() > deps.clock.nowMs()) {
    return merchantsError('person_locked');
  }
  const step = deps.kit.matchTotp(p.id, p.totp_secret_box, code, p.totp_last_step);
  if (step !== undefined) {
    await store.personAttempt(tx, p.id, { failures: 0, lockedUntil: null, totpStep: step });
    return null;
  }
  const failures = p.failures + 1;
  const lock = failures >= deps.kit.limits.failuresLockAfter;
  await store.personAttempt(tx, p.id, {
    failures: lock ? 0 : failures,
    lockedUntil: lock ? at(deps, deps.kit.limits.lockSeconds) : null,
  });
  await deps.audit.append(tx, [
    personEntry('merchants.person.step_up_failed', s, source, 'failure', { locked: lock }),
  ]);
  return merchantsError('totp_code_invalid');
}

export async function addPasskey(
  deps: TeamDeps,
  s: PersonSession,
  input: { credential: RegistrationResponseJSON; totpCode: string; name: string },
  source: Source,
): Promise<PasskeyView> {
  return commitThenThrow(deps, async (tx) => {
    const refused = await stepUp(deps, tx, s, input.totpCode, source);
    if (refused) return refused;
    const k = deps.kit.passkeys;
    const challenge = k.challengeOf(input.credential.response.clientDataJSON);
    const now = at(deps);
    const fresh =
      challenge !== undefined &&
      (await store.consumePasskeyChallenge(tx, {
        ...{ challenge, personId: s.personId, purpose: 'register', now },
      }));
    const key = fresh ? await k.verifyRegistration(input.credential, challenge) : undefined;
    const row = key && { ...key, person_id: s.personId, name: input.name, created_at: now };
    if (!row || !(await store.insertPersonPasskey(tx, row))) {
      await deps.audit.append(tx, [
        personEntry('merchants.person.passkey_added', s, source, 'failure'),
      ]);
      return merchantsError('person_passkey_invalid');
    }
    await deps.audit.append(tx, [
      personEntry('merchants.person.passkey_added', s, source, 'success', {
        credential_id: row.credential_id,
        name: row.name,
      }),
    ]);
    return view({ ...row, last_used_at: null });
  });
}

export async function removePasskey(
  deps: TeamDeps,
  s: PersonSession,
  input: { credentialId: string; totpCode: string },
  source: Source,
): Promise<{ removed: true }> {
  return commitThenThrow(deps, async (tx) => {
    const refused = await stepUp(deps, tx, s, input.totpCode, source);
    if (refused) return refused;
    if (!(await store.deletePersonPasskey(tx, input.credentialId, s.personId))) {
      return merchantsError('person_passkey_not_found');
    }
    await deps.audit.append(tx, [
      personEntry('merchants.person.passkey_removed', s, source, 'success', {
        credential_id: input.credentialId,
      }),
    ]);
    return { removed: true as const };
  });
}

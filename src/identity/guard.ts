import { allSent, beginReading, type Db, type Tx } from '../db/index.ts';
import { unreachable } from '../lib/assert.ts';
import { at, customerEntry, type Deps, type Source } from './context.ts';
import { verifyDeviceSignature } from './device-key.ts';
import { decide, STEP_UP_POLICY, type SensitiveAction, type StrongFactor } from './policy.ts';
import { sha256 } from './secrets.ts';
import type { CustomerSession } from './sessions.ts';
import * as store from './store.ts';
import { identityError } from './errors.ts';

// Enforcement of the step-up policy (policy.ts) and of device proofs, for identity's own
// routes and for every other module (payments calls authorize('topup', …) before it moves
// money). Every refusal says what would make the call succeed.

const STEP_UP_ENDPOINT = '/v1/identity/step-up';
const DEVICE_CHALLENGE_ENDPOINT = '/v1/identity/devices/challenge';
export const DEVICE_PROOF_HEADER = 'kinko-device-proof';

export async function strongFactors(db: Db, customerId: string): Promise<StrongFactor[]> {
  const [totp, passkeys] = await Promise.all([
    store.totpOf(db, customerId),
    store.passkeysOf(db, customerId),
  ]);
  const out: StrongFactor[] = [];
  if (passkeys.length > 0) out.push('passkey');
  if (totp?.confirmed_at) out.push('totp');
  return out;
}

/** Throws the first thing missing for `action`; returns whether a device proof is needed. */
export async function authorize(
  deps: Deps,
  session: CustomerSession,
  action: SensitiveAction,
  db: Db = deps.sql,
): Promise<{ deviceProof: boolean }> {
  // The factors and the device in one statement (strongFactors and deviceConfirmed would
  // be three).
  const facts = await store.policyFacts(db, session.customerId, session.deviceId);
  const factors: StrongFactor[] = [];
  if (facts.passkey) factors.push('passkey');
  if (facts.totp) factors.push('totp');
  const decision = decide(
    action,
    {
      nowMs: deps.clock.nowMs(),
      strongAuthAtMs: session.strongAuthAtMs,
      factors,
      deviceConfirmed: session.deviceId !== null && facts.device_confirmed,
      moneyHoldUntilMs: session.moneyHoldUntilMs,
      frozen: session.frozen,
    },
    deps.limits.stepUpSecondsMax,
  );
  switch (decision.kind) {
    case 'allow':
      return { deviceProof: decision.deviceProof };
    case 'frozen':
      throw identityError('account_frozen');
    case 'device_required':
      throw identityError('device_required', {
        extra: {
          device: { register: '/v1/identity/devices', bind: '/v1/identity/session/device' },
        },
      });
    case 'second_factor_required':
      throw identityError('second_factor_required', {
        extra: {
          enroll: {
            totp: '/v1/identity/factors/totp',
            passkey: '/v1/identity/factors/passkey/options',
          },
        },
      });
    case 'step_up_required':
      throw identityError('step_up_required', {
        extra: {
          step_up: {
            action,
            factors: decision.factors,
            endpoint: STEP_UP_ENDPOINT,
            passkey_options: `${STEP_UP_ENDPOINT}/passkey/options`,
            max_age_seconds: deps.limits.stepUpSecondsMax,
          },
        },
      });
    case 'held': {
      const until = new Date(decision.untilMs);
      const wait = Math.ceil((decision.untilMs - deps.clock.nowMs()) / 1000);
      throw identityError('money_movement_held', {
        extra: { hold_until: until.toISOString(), retry_after_seconds: wait },
      });
    }
    default:
      return unreachable(decision);
  }
}

/**
 * Checks a device proof "<challenge>.<signature>": the challenge was issued to this session
 * for this action and this device, is unexpired and unused (it is used up here), and the
 * signature is the device key's. For any action but binding, the device must be the one
 * bound to the session. Returns the device id.
 */
export async function verifyDeviceProof(
  deps: Deps,
  tx: Tx,
  session: CustomerSession,
  action: string,
  proof: string | undefined,
): Promise<string> {
  const refuse = () =>
    identityError('device_proof_invalid', { extra: { challenge: DEVICE_CHALLENGE_ENDPOINT } });
  const [challenge, signature] = (proof ?? '').split('.');
  if (!challenge || !signature) throw refuse();
  const row = await store.consumeDeviceChallengeWithDevice(tx, sha256(challenge), at(deps));
  if (!row || row.session_id !== session.id || row.action !== action) throw refuse();
  if (row.expires_at.getTime() <= deps.clock.nowMs()) throw refuse();
  if (action !== 'session_bind' && row.device_id !== session.deviceId) throw refuse();
  const publicKey = row.device_public_key;
  if (
    !publicKey ||
    row.device_customer_id !== session.customerId ||
    row.device_status !== 'confirmed'
  )
    throw refuse();
  if (!verifyDeviceSignature(publicKey, action, challenge, signature)) throw refuse();
  return row.device_id;
}

/** Policy, then (for money movement) the device proof, in one transaction of its own. */
export async function requireAction(
  deps: Deps,
  session: CustomerSession,
  action: SensitiveAction,
  proof: string | undefined,
  source: Source,
): Promise<void> {
  if (!STEP_UP_POLICY[action].deviceProof) {
    await authorize(deps, session, action);
    return;
  }
  // The policy's read goes out with BEGIN. The proof is used up and its entry appended in
  // one round trip: a refused proof throws, and the transaction, entry included, rolls back.
  // The entry names the session's device, which an accepted proof's device must be.
  const accepted = customerEntry(
    'identity.device.proof_accepted',
    session.customerId,
    source,
    'success',
    { action, device_id: session.deviceId },
  );
  await beginReading(
    deps.sql,
    (tx) => authorize(deps, session, action, tx),
    async (tx) => {
      // Both settle before anything is thrown: ROLLBACK must follow all they sent.
      await allSent([
        verifyDeviceProof(deps, tx, session, action, proof),
        deps.audit.append(tx, [accepted]),
      ]);
    },
  );
}

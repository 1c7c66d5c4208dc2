// Step-up policy as data (7pay 2019: payments needed no second factor). Each sensitive
// action names what it needs: recent strong authentication (a passkey or TOTP within
// stepUpSecondsMax), a confirmed device bound to the session, a fresh device signature, and
// whether a post-recovery hold stops it. decide() is pure: the routes and the guard other
// modules use call it with the session's facts and act on the answer.

export const SENSITIVE_ACTIONS = [
  'topup',
  'payment_code',
  'card_link',
  'email_change',
  'phone_change',
  'password_change',
  'factor_change',
  'limit_raise',
  'device_remove',
  'account_delete',
  'sign_out_everywhere',
] as const;

export type SensitiveAction = (typeof SENSITIVE_ACTIONS)[number];

export type StrongFactor = 'passkey' | 'totp';

interface ActionRule {
  /** Needs a passkey or TOTP check no older than stepUpSecondsMax. */
  strongAuth: boolean;
  /** Needs the session to be bound to a confirmed device. */
  boundDevice: boolean;
  /** Needs a fresh, single-use challenge signed by that device's key on this call. */
  deviceProof: boolean;
  /** Refused while the account's money-movement hold (after a recovery) lasts. */
  moneyMovement: boolean;
  /**
   * On an account with no second factor yet, a confirmed device stands in for strong
   * authentication: it is the strongest proof such an account has, and a thief with only the
   * password cannot have one.
   */
  deviceSufficesWithoutFactor?: boolean;
}

const MONEY: ActionRule = {
  strongAuth: true,
  boundDevice: true,
  deviceProof: true,
  moneyMovement: true,
};
const CREDENTIAL: ActionRule = {
  strongAuth: true,
  boundDevice: true,
  deviceProof: false,
  moneyMovement: false,
};

export const STEP_UP_POLICY: Readonly<Record<SensitiveAction, ActionRule>> = Object.freeze({
  topup: MONEY,
  payment_code: MONEY,
  card_link: MONEY,
  limit_raise: { ...MONEY, moneyMovement: false },
  email_change: CREDENTIAL,
  phone_change: CREDENTIAL,
  password_change: CREDENTIAL,
  // Enrolling the very first factor has nothing to step up with.
  factor_change: { ...CREDENTIAL, deviceSufficesWithoutFactor: true },
  device_remove: CREDENTIAL,
  // Deleting the account is final: the device that asks must sign for it, even though no
  // money moves (the balance must already be zero).
  account_delete: { ...CREDENTIAL, deviceProof: true },
  // Signing every session out is how an owner evicts a thief, so a thief must not be able to
  // use it to evict the owner: a password-only session on a new device is refused.
  sign_out_everywhere: { ...CREDENTIAL, deviceSufficesWithoutFactor: true },
});

export function isSensitiveAction(value: string): value is SensitiveAction {
  return (SENSITIVE_ACTIONS as readonly string[]).includes(value);
}

interface SessionFacts {
  nowMs: number;
  strongAuthAtMs: number | null;
  /** The factors enrolled on the account. */
  factors: readonly StrongFactor[];
  deviceConfirmed: boolean;
  moneyHoldUntilMs: number | null;
  frozen: boolean;
}

type Decision =
  | { kind: 'allow'; deviceProof: boolean }
  | { kind: 'frozen' }
  | { kind: 'device_required' }
  | { kind: 'second_factor_required' }
  | { kind: 'step_up_required'; factors: readonly StrongFactor[] }
  | { kind: 'held'; untilMs: number };

/**
 * What stands between this session and the action, checked in a fixed order: a frozen
 * account, the device, the second factor, the hold. The first missing piece is the answer.
 */
export function decide(
  action: SensitiveAction,
  facts: SessionFacts,
  stepUpSecondsMax: number,
): Decision {
  const rule = STEP_UP_POLICY[action];
  if (facts.frozen) return { kind: 'frozen' };
  if (rule.boundDevice && !facts.deviceConfirmed) return { kind: 'device_required' };
  if (rule.strongAuth) {
    // Without any factor, only actions whose rule says so go ahead, on the confirmed device
    // checked above (the first enrolment, signing out everywhere).
    const deviceSuffices = rule.deviceSufficesWithoutFactor === true && facts.factors.length === 0;
    if (facts.factors.length === 0 && !deviceSuffices) return { kind: 'second_factor_required' };
    const recent =
      facts.strongAuthAtMs !== null &&
      facts.nowMs - facts.strongAuthAtMs <= stepUpSecondsMax * 1000;
    if (!recent && !deviceSuffices) return { kind: 'step_up_required', factors: facts.factors };
  }
  if (
    rule.moneyMovement &&
    facts.moneyHoldUntilMs !== null &&
    facts.moneyHoldUntilMs > facts.nowMs
  ) {
    return { kind: 'held', untilMs: facts.moneyHoldUntilMs };
  }
  return { kind: 'allow', deviceProof: rule.deviceProof };
}

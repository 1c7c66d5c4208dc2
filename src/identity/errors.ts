import { defineErrors, errorFactory } from '../lib/errors.ts';

// Identity's named failures, in precedence order: when several apply, the first listed is
// the answer. Throttles come first so that a throttled caller learns nothing else; then who
// you are (session), then what you may do (step-up, device, hold), then input checks.
// Messages never say whether an account exists: an unknown email and a wrong password get
// the same code and the same words.

const IDENTITY_ERRORS = defineErrors('identity', {
  // 1. Throttles.
  source_blocked: {
    type: 'rate_limit_error',
    message: 'Too many failed sign-ins from your network. Try again later.',
  },
  login_throttled: {
    type: 'rate_limit_error',
    message: 'Too many failed sign-ins. Wait before trying again.',
  },
  recovery_rate_limited: {
    type: 'rate_limit_error',
    message: 'Too many recovery requests. Try again later.',
  },
  // 2. Who you are.
  session_missing: { type: 'authentication_error', message: 'Sign in first.' },
  session_expired: {
    type: 'authentication_error',
    message: 'Your session has ended; sign in again.',
  },
  credentials_invalid: {
    type: 'authentication_error',
    message: 'The email or password is not correct.',
  },
  password_login_disabled: {
    type: 'authentication_error',
    message: 'Password sign-in is turned off after too many failures; recover your account.',
  },
  operator_locked: {
    type: 'authentication_error',
    message: 'Too many failed sign-ins; this operator account is locked for a while.',
  },
  account_frozen: {
    type: 'permission_error',
    message: 'This account is frozen. Contact support to restore it.',
  },
  // 3. What you may do.
  operator_access_denied: {
    type: 'permission_error',
    message: 'Your operator role does not allow this action.',
  },
  unfreeze_needs_second_operator: {
    type: 'permission_error',
    message: 'The operator who froze this account cannot unfreeze it; another security admin must.',
  },
  step_up_required: {
    type: 'permission_error',
    message: 'This action needs a recent second-factor check (passkey or authenticator code).',
  },
  second_factor_required: {
    type: 'permission_error',
    message: 'This action needs a second factor; enrol a passkey or an authenticator app first.',
  },
  device_required: {
    type: 'permission_error',
    message: 'This action needs a confirmed device bound to this session.',
  },
  device_proof_invalid: {
    type: 'permission_error',
    message: 'The device proof is missing, expired, already used or not valid for this action.',
  },
  device_confirm_blocked: {
    type: 'permission_error',
    message:
      'This phone cannot be added to the account now; the reason says why. ' +
      'Contact support if this was you.',
  },
  device_confirm_factor_required: {
    type: 'permission_error',
    message:
      'Confirm this phone with your authenticator app or passkey; a text-message code is ' +
      'not enough this time (the reason says why).',
  },
  money_movement_held: {
    type: 'permission_error',
    message: 'Money movement is paused on this account after a recent recovery.',
  },
  // 4. Codes and factors.
  verification_code_invalid: {
    type: 'invalid_request_error',
    message: 'The code is not correct, was already used or has expired.',
  },
  factor_invalid: {
    type: 'authentication_error',
    message: 'The second-factor answer is not valid.',
  },
  passkey_invalid: {
    type: 'authentication_error',
    message: 'The passkey response could not be verified.',
  },
  totp_already_enrolled: {
    type: 'conflict_error',
    message: 'An authenticator app is already enrolled; remove it first.',
  },
  customer_not_found: { type: 'not_found_error', message: 'No customer matches.' },
  account_already_frozen: { type: 'conflict_error', message: 'This account is already frozen.' },
  account_not_frozen: { type: 'conflict_error', message: 'This account is not frozen.' },
  device_not_found: { type: 'not_found_error', message: 'No such device on this account.' },
  device_key_invalid: {
    type: 'invalid_request_error',
    message: 'The device key must be a public EC P-256 JWK.',
  },
  device_exists: { type: 'conflict_error', message: 'This device key is already registered.' },
  // 5. Input.
  password_too_short: { type: 'invalid_request_error', message: 'The password is too short.' },
  password_too_long: { type: 'invalid_request_error', message: 'The password is too long.' },
  password_common: {
    type: 'invalid_request_error',
    message: 'This password is known from breaches or is too common; choose another.',
  },
  email_invalid: { type: 'invalid_request_error', message: 'The email address is not valid.' },
  phone_invalid: {
    type: 'invalid_request_error',
    message: 'The phone number must be in international form, such as +819012345678.',
  },
  lookup_query_invalid: {
    type: 'invalid_request_error',
    message: 'Look up a customer by id (UUID), email address or phone number (+81…, or 090…).',
  },
  contact_taken: {
    type: 'conflict_error',
    message: 'This email or phone is already used by another account.',
  },
  operator_exists: { type: 'conflict_error', message: 'An operator with this email exists.' },
  detection_not_found: {
    type: 'not_found_error',
    message: 'No such credential-stuffing detection.',
  },
  detection_already_acknowledged: {
    type: 'conflict_error',
    message: 'This detection was already acknowledged; its acknowledgement stands.',
  },
});

/** Raises one of these codes; a code not in the table does not compile. */
export const identityError = errorFactory(IDENTITY_ERRORS);

export type IdentityErrorCode = keyof typeof IDENTITY_ERRORS;

import { defineErrors, errorFactory } from '../lib/errors.ts';

// The merchants module's named failures, in precedence order: who is calling (an API key or
// terminal credential), then what that caller may do, then which record, then the input.
// Authentication messages never say whether a key exists for another merchant.

const MERCHANTS_ERRORS = defineErrors('merchants', {
  // 1. Who is calling.
  api_key_invalid: {
    type: 'authentication_error',
    message: 'No valid API key was given. Send `Authorization: Bearer sk_…`.',
  },
  api_key_revoked: { type: 'authentication_error', message: 'This API key has been revoked.' },
  api_key_expired: {
    type: 'authentication_error',
    message: 'This API key was rolled and its overlap period has ended; use its replacement.',
  },
  terminal_credentials_invalid: {
    type: 'authentication_error',
    message: 'The terminal id or terminal secret is not correct.',
  },
  publishable_key_invalid: {
    type: 'authentication_error',
    message: 'The publishable key is not valid.',
  },
  person_session_missing: {
    type: 'authentication_error',
    message: 'Sign in to the dashboard first (email, password and authenticator code).',
  },
  person_session_expired: {
    type: 'authentication_error',
    message: 'Your dashboard session has ended; sign in again.',
  },
  person_credentials_invalid: {
    type: 'authentication_error',
    message: 'The email, password or authenticator code is not correct.',
  },
  person_locked: {
    type: 'authentication_error',
    message: 'Too many failed sign-ins; this account is locked for a while.',
  },
  person_passkey_invalid: {
    type: 'authentication_error',
    message: 'This passkey could not be verified; ask for new options and try again.',
  },
  manager_approval_invalid: {
    type: 'authentication_error',
    message: 'The manager email or authenticator code is not correct.',
  },
  invitation_invalid: {
    type: 'authentication_error',
    message: 'This invitation link is not valid: it has expired, was used, or was withdrawn.',
  },
  merchant_suspended: { type: 'permission_error', message: 'This merchant is suspended.' },
  // 2. What the caller may do.
  person_access_denied: {
    type: 'permission_error',
    message: 'Your role on this merchant does not allow this action.',
  },
  person_store_denied: {
    type: 'permission_error',
    message: 'Your role allows this only for payments taken at your own stores.',
  },
  person_not_manageable: {
    type: 'permission_error',
    message: 'Your role cannot invite or remove a person with this role.',
  },
  api_key_scope_missing: {
    type: 'permission_error',
    message: 'This API key does not have the access this request needs.',
  },
  // 3. Which record.
  merchant_not_found: { type: 'not_found_error', message: 'No such merchant.' },
  store_not_found: { type: 'not_found_error', message: 'No such store.' },
  terminal_not_found: { type: 'not_found_error', message: 'No such terminal.' },
  api_key_not_found: { type: 'not_found_error', message: 'No such API key.' },
  person_not_found: { type: 'not_found_error', message: 'No such person on this merchant.' },
  invitation_not_found: { type: 'not_found_error', message: 'No such open invitation.' },
  person_passkey_not_found: {
    type: 'not_found_error',
    message: 'You have no passkey with this id.',
  },
  person_exists: {
    type: 'conflict_error',
    message: 'A dashboard account with this email address already exists.',
  },
  api_key_already_revoked: {
    type: 'conflict_error',
    message: 'This API key is already revoked or expired.',
  },
  // 4. The input.
  api_key_limit_reached: {
    type: 'invalid_request_error',
    message: 'This merchant holds the most API keys allowed; revoke one first.',
  },
  api_key_scopes_invalid: {
    type: 'invalid_request_error',
    message: 'A restricted key needs at least one known scope.',
  },
  api_key_overlap_invalid: {
    type: 'invalid_request_error',
    message: 'The overlap period is longer than allowed.',
  },
  totp_code_invalid: {
    type: 'invalid_request_error',
    message: 'The authenticator code does not match; check the app and the device clock.',
  },
  person_email_invalid: {
    type: 'invalid_request_error',
    message: 'This is not an email address Kinko can send an invitation to.',
  },
  store_ids_invalid: {
    type: 'invalid_request_error',
    message: 'A store manager needs one or more of this merchant’s stores; other roles none.',
  },
  origin_invalid: {
    type: 'invalid_request_error',
    message: 'An allowed origin must be scheme://host[:port], https outside development.',
  },
  origin_limit_reached: {
    type: 'invalid_request_error',
    message: 'This merchant has the most allowed origins permitted.',
  },
});

/** Raises one of these codes; a code not in the table does not compile. */
export const merchantsError = errorFactory(MERCHANTS_ERRORS);

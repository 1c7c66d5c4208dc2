import { defineErrors, errorFactory } from '../lib/errors.ts';

// The merchants module's named failures, in precedence order: who is calling (an API key or
// terminal credential), then what that caller may do, then which record, then the input.
// Authentication messages never say whether a key exists for another merchant.

export const MERCHANTS_ERRORS = defineErrors('merchants', {
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
  merchant_suspended: { type: 'permission_error', message: 'This merchant is suspended.' },
  // 2. What the caller may do.
  api_key_scope_missing: {
    type: 'permission_error',
    message: 'This API key does not have the access this request needs.',
  },
  // 3. Which record.
  merchant_not_found: { type: 'not_found_error', message: 'No such merchant.' },
  store_not_found: { type: 'not_found_error', message: 'No such store.' },
  terminal_not_found: { type: 'not_found_error', message: 'No such terminal.' },
  api_key_not_found: { type: 'not_found_error', message: 'No such API key.' },
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

export type MerchantsErrorCode = keyof typeof MERCHANTS_ERRORS;

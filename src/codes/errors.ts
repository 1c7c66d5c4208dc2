import { defineErrors, errorFactory } from '../lib/errors.ts';

// The codes module's error codes in precedence order: a one-time payment code is checked for
// shape, then for Kinko's prefix, then for its check digit, so that a mistyped code is told
// apart from a code of another scheme before any database lookup. A store QR payload is
// checked for structure, then its CRC, then its required fields, then each field's format.

const CODES_ERRORS = defineErrors('codes', {
  code_malformed: {
    type: 'invalid_request_error',
    message: 'The payment code must be 22 digits.',
  },
  code_wrong_prefix: {
    type: 'invalid_request_error',
    message: 'This is not a Kinko payment code.',
  },
  code_bad_check_digit: {
    type: 'invalid_request_error',
    message: 'The payment code was mistyped or misread: its check digit does not match.',
  },
  qr_malformed: {
    type: 'invalid_request_error',
    message: 'The QR payload is not a well-formed EMVCo merchant-presented payload.',
  },
  qr_crc_mismatch: {
    type: 'invalid_request_error',
    message: 'The QR payload was misread or altered: its CRC does not match; scan it again.',
  },
  qr_missing_field: {
    type: 'invalid_request_error',
    message: 'The QR payload lacks a required field.',
  },
  qr_field_invalid: {
    type: 'invalid_request_error',
    message: 'A field of the QR payload has an invalid value.',
  },
});

export type CodesErrorCode = keyof typeof CODES_ERRORS;

/** Raises one of these codes; a code not in the table does not compile. */
export const codesError = errorFactory(CODES_ERRORS);

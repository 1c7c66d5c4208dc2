import { defineErrors, errorFactory, errorSpec, type ErrorType } from '../lib/errors.ts';

// The HTTP layer's own error codes, in precedence order, and the one place where an error
// becomes an HTTP status. A code's type decides its status; the few codes whose status is
// more specific than their type's are listed in STATUS_BY_CODE. List paging (lists.ts) is the
// HTTP layer's too, so every module that lists refuses an unknown cursor with the same code.

const HTTP_ERRORS = defineErrors('http', {
  unsupported_media_type: {
    type: 'invalid_request_error',
    message: 'This endpoint accepts only application/json request bodies.',
  },
  content_encoding_unsupported: {
    type: 'invalid_request_error',
    message: 'Request bodies are accepted uncompressed only, without a Content-Encoding header.',
  },
  charset_unsupported: {
    type: 'invalid_request_error',
    message: 'Request bodies are accepted in UTF-8 only (charset=utf-8 or no charset).',
  },
  body_too_large: {
    type: 'invalid_request_error',
    message: 'The request body is larger than allowed.',
  },
  body_invalid_json: {
    type: 'invalid_request_error',
    message: 'The request body is not valid JSON.',
  },
  body_missing: {
    type: 'invalid_request_error',
    message: 'This endpoint needs a JSON request body.',
  },
  parameter_unknown: {
    type: 'invalid_request_error',
    message: 'The request has a field this endpoint does not accept.',
  },
  parameter_duplicate: {
    type: 'invalid_request_error',
    message: 'A field appears twice in one JSON object; send each field once.',
  },
  parameter_forbidden_key: {
    type: 'invalid_request_error',
    message: 'The keys __proto__ and constructor are not accepted anywhere in a request body.',
  },
  parameter_missing: { type: 'invalid_request_error', message: 'A required field is missing.' },
  parameter_invalid: { type: 'invalid_request_error', message: 'A field has an invalid value.' },
  card_data_not_allowed: {
    type: 'invalid_request_error',
    message:
      'A field holds a card number (a brand’s prefix and length, a valid check digit, not part ' +
      'of a longer token); only the hosted card fields take one.',
  },
  pagination_cursor_not_found: {
    type: 'invalid_request_error',
    message: 'The object named by starting_after or ending_before does not exist.',
  },
  route_not_found: { type: 'not_found_error', message: 'No such endpoint.' },
  method_not_allowed: {
    type: 'invalid_request_error',
    message: 'This method is not allowed here.',
  },
  rate_limited: { type: 'rate_limit_error', message: 'Too many requests; retry later.' },
  request_timeout: { type: 'api_error', message: 'The request took too long.' },
  service_unavailable: { type: 'api_error', message: 'The service is not ready.' },
  internal_error: {
    type: 'api_error',
    message: 'Something went wrong on our side; it has been logged.',
  },
});

/** Raises one of these codes; a code not in the table does not compile. */
export const httpError = errorFactory(HTTP_ERRORS);

const STATUS_BY_TYPE: Readonly<Record<ErrorType, number>> = {
  invalid_request_error: 400,
  authentication_error: 401,
  permission_error: 403,
  not_found_error: 404,
  conflict_error: 409,
  idempotency_error: 409,
  rate_limit_error: 429,
  card_error: 402,
  api_error: 500,
};

const STATUS_BY_CODE: Readonly<Record<string, number>> = {
  unsupported_media_type: 415,
  content_encoding_unsupported: 415,
  charset_unsupported: 415,
  body_too_large: 413,
  method_not_allowed: 405,
  request_timeout: 503,
  service_unavailable: 503,
  // A card export used up or expired (vault/export.ts): gone for good, request a new one.
  card_export_unavailable: 410,
  // A kill switch (switches/): the service is suspended, not broken; retry later.
  service_suspended: 503,
  database_unavailable: 503,
  acquirer_timeout: 504,
  acquirer_unreachable: 502,
  // IETF draft-ietf-httpapi-idempotency-key-header: a reused key with another payload is 422.
  idempotency_key_reused: 422,
};

export function statusOf(code: string): number {
  const byCode = STATUS_BY_CODE[code];
  if (byCode !== undefined) return byCode;
  const spec = errorSpec(code);
  return spec ? STATUS_BY_TYPE[spec.type] : 500;
}

import { defineErrors, errorFactory } from '../lib/errors.ts';

// The acquirer's error codes in precedence order. A decline is not an error here: it is an
// authorization with status "declined" and a decline code.

const ACQUIRER_ERRORS = defineErrors('acquirer', {
  acquirer_idempotency_key_reused: {
    type: 'idempotency_error',
    message: 'This idempotency key was used for a different request.',
  },
  authorization_not_found: { type: 'not_found_error', message: 'No such authorization.' },
  challenge_not_found: { type: 'not_found_error', message: 'No such 3-D Secure challenge.' },
  authorization_not_capturable: {
    type: 'conflict_error',
    message: 'Only an approved authorization can be captured or voided.',
  },
  amount_exceeds_authorization: {
    type: 'invalid_request_error',
    message: 'The amount is more than the authorization has left.',
  },
  authorization_not_refundable: {
    type: 'conflict_error',
    message: 'Only a captured authorization can be refunded, up to what was captured.',
  },
  acquirer_operation_failed: {
    type: 'card_error',
    message: 'The card network refused the operation.',
  },
  acquirer_timeout: {
    type: 'api_error',
    message: 'The card network did not answer in time; retry with the same idempotency key.',
  },
  acquirer_unreachable: {
    type: 'api_error',
    message: 'The card network could not be reached; retry with the same idempotency key.',
  },
});

/** Raises one of these codes; a code not in the table does not compile. */
export const acquirerError = errorFactory(ACQUIRER_ERRORS);

import { defineErrors, errorFactory } from '../lib/errors.ts';

// Web payments' error codes in precedence order: when several apply, the first is answered.
// A decline is not an error: it is a payment back in requires_payment_method with
// last_payment_error naming the decline code.

const PAYMENTS_WEB_ERRORS = defineErrors('payments_web', {
  web_payment_not_found: { type: 'not_found_error', message: 'No such payment.' },
  web_refund_not_found: { type: 'not_found_error', message: 'No such refund.' },
  payment_currency_unsupported: {
    type: 'invalid_request_error',
    message: 'This currency is not supported.',
  },
  payment_amount_too_large: {
    type: 'invalid_request_error',
    message: 'The amount is larger than the API can carry exactly.',
  },
  payment_method_invalid: {
    type: 'invalid_request_error',
    message: 'No such card token for this merchant, or the card was deleted.',
  },
  payment_method_missing: {
    type: 'invalid_request_error',
    message: 'This payment has no payment method to confirm with; attach a card token first.',
  },
  payment_blocked_by_risk: {
    type: 'permission_error',
    message:
      'Kinko’s risk checks refused this payment before the card was charged; ' +
      'see reason, in words to show the shopper.',
  },
  payment_unexpected_state: {
    type: 'conflict_error',
    message: 'The payment’s status does not allow this operation.',
  },
  payment_under_review: {
    type: 'conflict_error',
    message:
      'Kinko’s risk team is reviewing this payment: the card is authorized but it cannot be ' +
      'captured or confirmed until the review ends (payment.review_closed).',
  },
  payment_in_progress: {
    type: 'conflict_error',
    message: 'A card network call for this payment is still running; retry shortly.',
  },
  payment_authorization_expired: {
    type: 'conflict_error',
    message: 'The authorization expired; the payment is canceled and cannot be captured.',
  },
  capture_amount_exceeds_capturable: {
    type: 'invalid_request_error',
    message: 'amount_to_capture is more than the authorized amount.',
  },
  refund_amount_exceeds_refundable: {
    type: 'invalid_request_error',
    message: 'The refund is more than the captured amount not yet refunded.',
  },
  payment_capture_failed: {
    type: 'card_error',
    message: 'The card network refused the capture; the authorization is unchanged.',
  },
});

/** Raises one of these codes; a code not in the table does not compile. */
export const checkoutError = errorFactory(PAYMENTS_WEB_ERRORS);

export type PaymentsWebErrorCode = keyof typeof PAYMENTS_WEB_ERRORS;

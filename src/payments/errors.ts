import { defineErrors, errorFactory } from '../lib/errors.ts';

// The payments module's codes, in precedence order: a request refused for several reasons
// gets the first listed. Code refusals are distinct so the register can tell the customer
// what to do (wrong: rescan; expired: refresh the code; used: a new code is needed).

const PAYMENTS_ERRORS = defineErrors('payments', {
  terminal_credentials_missing: {
    type: 'authentication_error',
    message: 'Send `Authorization: Terminal <terminal id>:<terminal secret>` or a secret key.',
  },
  terminal_store_mismatch: {
    type: 'invalid_request_error',
    message: 'The store is not the store of this terminal.',
  },
  terminal_id_mismatch: {
    type: 'invalid_request_error',
    message:
      'With terminal credentials, `terminal_id` must be left out or name the signed-in ' +
      'terminal; it names another terminal.',
  },
  livemode_required: {
    type: 'invalid_request_error',
    message:
      'Wallet payments move real money: use a live secret key (sk_live_…); ' +
      'test keys see no wallet payments.',
  },
  currency_unsupported: {
    type: 'invalid_request_error',
    message: 'Wallet payments are in JPY.',
  },
  code_guessing_throttled: {
    type: 'rate_limit_error',
    message: 'Too many wrong payment codes from this register or merchant; retry later.',
  },
  code_invalid: {
    type: 'card_error',
    message: 'No payment code issued by Kinko matches this one; scan it again.',
  },
  code_expired: {
    type: 'card_error',
    message: 'This payment code has expired; the customer should refresh it.',
  },
  code_already_used: {
    type: 'card_error',
    message: 'This payment code was already used; the customer needs a new one.',
  },
  wallet_unavailable: {
    type: 'card_error',
    message: 'This wallet cannot pay now; the customer should check the Kinko app.',
  },
  insufficient_funds: {
    type: 'card_error',
    message: 'The wallet balance is too low for this amount.',
  },
  payment_codes_too_many: {
    type: 'rate_limit_error',
    message: 'Too many unused payment codes; use or let one expire first.',
  },
  card_token_invalid: {
    type: 'invalid_request_error',
    message: 'This card token is unknown or was deleted.',
  },
  card_already_linked: {
    type: 'conflict_error',
    message: 'This card is already linked to a wallet.',
  },
  card_not_linked: {
    type: 'invalid_request_error',
    message: 'This card is not linked to your wallet.',
  },
  topup_not_found: { type: 'not_found_error', message: 'No such top-up.' },
  topup_declined: {
    type: 'card_error',
    message: 'The card was declined; nothing was charged or credited.',
  },
  topup_three_ds_failed: {
    type: 'card_error',
    message: '3-D Secure did not confirm the cardholder; nothing was charged or credited.',
  },
  topup_challenge_pending: {
    type: 'conflict_error',
    message: 'The 3-D Secure challenge is not finished yet.',
  },
  topup_charge_unconfirmed: {
    type: 'api_error',
    message: 'The card network did not answer in time; retry this top-up to finish it.',
  },
  store_payload_invalid: {
    type: 'invalid_request_error',
    message: 'The scanned store QR code is not valid.',
  },
  store_not_kinko: {
    type: 'invalid_request_error',
    message: 'The scanned QR code is not a Kinko store.',
  },
  store_unavailable: {
    type: 'invalid_request_error',
    message: 'This store does not take payments now.',
  },
  store_test_mode: {
    type: 'invalid_request_error',
    message:
      'This QR code is from a store in test mode: wallet payments move real money, ' +
      'so it cannot be paid from a wallet.',
  },
  payment_not_found: { type: 'not_found_error', message: 'No such payment.' },
  wallet_closed: {
    type: 'conflict_error',
    message:
      'The customer deleted this wallet, so nothing can be paid into it; refund them another way.',
  },
  refund_exceeds_payment: {
    type: 'invalid_request_error',
    message: 'The refunds would be more than the payment; `refundable` says how much is left.',
  },
  wallet_balance_not_zero: {
    type: 'conflict_error',
    message: 'The wallet still holds money; spend it or have it paid out before deleting.',
  },
  wallet_activity_processing: {
    type: 'conflict_error',
    message: 'A top-up or payment is still processing; wait for it to finish, then retry.',
  },
  history_cursor_invalid: {
    type: 'invalid_request_error',
    message: 'The cursor is not one this API returned.',
  },
});

/** Raises one of these codes; a code not in the table does not compile. */
export const paymentsError = errorFactory(PAYMENTS_ERRORS);

export type PaymentsErrorCode = keyof typeof PAYMENTS_ERRORS;

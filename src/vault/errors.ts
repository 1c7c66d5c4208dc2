import { defineErrors, errorFactory } from '../lib/errors.ts';

// The vault's error codes in precedence order: who is asking, then what was sent, then the
// state of the card. Messages never contain card data; `param` names the field.

const VAULT_ERRORS = defineErrors('vault', {
  hosted_origin_refused: {
    type: 'permission_error',
    message: 'Card data is accepted only from Kinko’s hosted card fields.',
  },
  hosted_session_invalid: {
    type: 'authentication_error',
    message: 'The hosted card-fields session is unknown or has expired; reload the fields.',
  },
  hosted_session_exhausted: {
    type: 'rate_limit_error',
    message: 'Too many card submissions in this session; reload the fields.',
  },
  hosted_publishable_key_invalid: {
    type: 'authentication_error',
    message: 'Unknown publishable key.',
  },
  parent_origin_not_registered: {
    type: 'permission_error',
    message: 'This page’s origin is not registered for the merchant’s hosted card fields.',
  },
  vault_secret_key_invalid: { type: 'authentication_error', message: 'Unknown secret key.' },
  card_data_not_permitted: {
    type: 'permission_error',
    message: 'This merchant may not send card data server-to-server; use the hosted card fields.',
  },
  card_number_invalid: { type: 'invalid_request_error', message: 'The card number is not valid.' },
  card_brand_unsupported: {
    type: 'invalid_request_error',
    message: 'The card number belongs to no supported card brand.',
  },
  card_expiry_invalid: { type: 'invalid_request_error', message: 'The expiry date is not valid.' },
  card_expired: { type: 'invalid_request_error', message: 'The card has expired.' },
  card_cvc_invalid: { type: 'invalid_request_error', message: 'The security code is not valid.' },
  card_declined: { type: 'card_error', message: 'The card was declined.' },
  three_ds_failed: {
    type: 'card_error',
    message: 'The card issuer could not confirm the cardholder (3-D Secure); nothing was charged.',
  },
  three_ds_pending: {
    type: 'conflict_error',
    message: 'The 3-D Secure challenge is not finished yet.',
  },
  card_export_recipient_invalid: {
    type: 'invalid_request_error',
    message: 'The recipient must be an age public key (age1…) of the card company.',
  },
  card_export_not_found: {
    type: 'not_found_error',
    message: 'This incident has no card export with this id.',
  },
  card_export_no_scope: {
    type: 'conflict_error',
    message: 'The incident has no scope run yet; run its scope before exporting its cards.',
  },
  card_export_no_cards: {
    type: 'conflict_error',
    message: 'The incident’s latest scope run names no cards; there is nothing to export.',
  },
  card_export_too_large: {
    type: 'conflict_error',
    message: 'The latest scope run names more cards than one export may hold.',
  },
  card_export_needs_second_operator: {
    type: 'conflict_error',
    message: 'A card export is approved by an operator other than the one who requested it.',
  },
  card_export_already_approved: {
    type: 'conflict_error',
    message: 'This card export is already approved.',
  },
  card_export_not_approved: {
    type: 'conflict_error',
    message: 'This card export is not approved yet; there is nothing to download.',
  },
  card_export_unavailable: {
    type: 'conflict_error',
    message: 'This card export has expired or been downloaded as often as allowed.',
  },
  card_not_found: { type: 'not_found_error', message: 'No such card.' },
  card_deleted: {
    type: 'not_found_error',
    message: 'This card was deleted; its data no longer exists.',
  },
  vault_key_version_unknown: {
    type: 'api_error',
    message: 'A vault key version is not available.',
  },
  vault_key_rotation_unsupported: {
    type: 'api_error',
    message: 'This key provider rotates keys outside Kinko (a new deploy of its keys).',
  },
});

/** Raises one of these codes; a code not in the table does not compile. */
export const vaultError = errorFactory(VAULT_ERRORS);

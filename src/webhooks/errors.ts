import { defineErrors, errorFactory } from '../lib/errors.ts';

// The webhooks module's named failures, in precedence order: which record, then the input.
// (Who is calling is the merchants module's answer, before any of these.)

const WEBHOOKS_ERRORS = defineErrors('webhooks', {
  webhook_endpoint_not_found: { type: 'not_found_error', message: 'No such webhook endpoint.' },
  webhook_delivery_not_found: { type: 'not_found_error', message: 'No such webhook delivery.' },
  webhook_endpoint_limit_reached: {
    type: 'invalid_request_error',
    message: 'This merchant has the most webhook endpoints allowed.',
  },
  webhook_url_invalid: {
    type: 'invalid_request_error',
    message:
      'The endpoint URL must be https:// (http:// only to 127.0.0.1, localhost or [::1] ' +
      'outside production), without credentials or fragment.',
  },
  webhook_url_private_address: {
    type: 'invalid_request_error',
    message: 'The endpoint URL resolves to a private, loopback or reserved address.',
  },
  webhook_event_types_invalid: {
    type: 'invalid_request_error',
    message: 'Event types are dotted lower-case names (payment.succeeded) or "*".',
  },
  webhook_event_type_unknown: {
    type: 'invalid_request_error',
    message: 'Kinko sends no event of this type; docs/webhooks.md lists the types.',
  },
  webhook_secret_overlap_invalid: {
    type: 'invalid_request_error',
    message: 'The overlap period is longer than allowed.',
  },
});

/** Raises one of these codes; a code not in the table does not compile. */
export const webhooksError = errorFactory(WEBHOOKS_ERRORS);

import { defineErrors, errorFactory } from '../lib/errors.ts';

// The page monitor's named failures, in precedence order: which record, then the input.
// (Who is calling is the merchants' or the operators' answer, before any of these.)

const PAGEWATCH_ERRORS = defineErrors('pagewatch', {
  page_not_found: { type: 'not_found_error', message: 'No such watched page.' },
  page_observation_not_found: {
    type: 'not_found_error',
    message: 'No such observation of this page.',
  },
  page_limit_reached: {
    type: 'invalid_request_error',
    message: 'This merchant watches the most pages allowed.',
  },
  page_exists: {
    type: 'conflict_error',
    message: 'This page is already watched.',
  },
  page_url_invalid: {
    type: 'invalid_request_error',
    message:
      'The page URL must be https:// without credentials or fragment (http:// only to a ' +
      'loopback host where KINKO_PAGEWATCH_ALLOW_LOOPBACK is set, never in production).',
  },
  page_url_private_address: {
    type: 'invalid_request_error',
    message:
      'The page URL resolves to a private, loopback, link-local, metadata or reserved address.',
  },
  page_observation_not_loaded: {
    type: 'invalid_request_error',
    message: 'Only an observation of a page that loaded can be approved.',
  },
  page_observation_stale: {
    type: 'conflict_error',
    message: 'A newer observation of this page exists; approve what the page serves now.',
  },
});

/** Raises one of these codes; a code not in the table does not compile. */
export const pagewatchError = errorFactory(PAGEWATCH_ERRORS);

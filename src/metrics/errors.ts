import { defineErrors, errorFactory } from '../lib/errors.ts';

// The metrics module's named failures, in precedence order: whether /metrics is served on
// this listener at all, then whether the caller holds the token.

const METRICS_ERRORS = defineErrors('metrics', {
  metrics_not_enabled: {
    type: 'not_found_error',
    message:
      'Metrics are not served here: set KINKO_METRICS_TOKEN, or scrape the separate ' +
      'KINKO_METRICS_PORT listener.',
  },
  metrics_token_invalid: {
    type: 'authentication_error',
    message: 'Send the metrics token as Authorization: Bearer <KINKO_METRICS_TOKEN>.',
  },
});

/** Raises one of these codes; a code not in the table does not compile. */
export const metricsError = errorFactory(METRICS_ERRORS);

type MetricsErrorCode = keyof typeof METRICS_ERRORS;

import { defineErrors, errorFactory } from '../lib/errors.ts';

// The incidents module's named failures, in precedence order: which incident, then whether
// the change asked for is one its current state allows.

const INCIDENTS_ERRORS = defineErrors('incidents', {
  incident_not_found: { type: 'not_found_error', message: 'No incident has this id.' },
  scope_not_found: {
    type: 'not_found_error',
    message: 'This incident has no scope run with this id.',
  },
  scope_window_invalid: {
    type: 'invalid_request_error',
    message: 'The scope window must end after it starts and be at most a year long.',
  },
  scope_indicator_invalid: {
    type: 'invalid_request_error',
    message: 'An indicator is not in the form its kind needs.',
  },
  compensation_not_found: {
    type: 'not_found_error',
    message: 'This incident has no compensation proposal with this number.',
  },
  compensation_needs_second_operator: {
    type: 'conflict_error',
    message: 'A compensation is approved by an operator other than the one who proposed it.',
  },
  incident_transition_invalid: {
    type: 'conflict_error',
    message: 'The incident cannot move from its current status to the one asked for.',
  },
});

/** Raises one of these codes; a code not in the table does not compile. */
export const incidentsError = errorFactory(INCIDENTS_ERRORS);

type IncidentsErrorCode = keyof typeof INCIDENTS_ERRORS;

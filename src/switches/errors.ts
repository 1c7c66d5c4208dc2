import { defineErrors, errorFactory } from '../lib/errors.ts';

// The switches module's named failures, in precedence order: a request refused because a
// switch covers it; then, for operators, which switch, whether its scope makes sense, and
// whether the change asked for is one its state and the two-operator rule allow.

const SWITCHES_ERRORS = defineErrors('switches', {
  service_suspended: {
    type: 'api_error',
    message:
      'This service is suspended for now by Kinko’s operators; the error names what is ' +
      'suspended. Try again later.',
  },
  switch_not_found: { type: 'not_found_error', message: 'No switch has this id.' },
  switch_scope_invalid: {
    type: 'invalid_request_error',
    message: 'The scope does not fit the operation, or its value is not valid.',
  },
  switch_already_on: {
    type: 'conflict_error',
    message: 'A switch for this operation and scope is already on.',
  },
  switch_lifted: { type: 'conflict_error', message: 'This switch has already been lifted.' },
  switch_lift_already_requested: {
    type: 'conflict_error',
    message: 'Lifting this switch has already been requested; another operator approves it.',
  },
  switch_lift_not_requested: {
    type: 'conflict_error',
    message: 'Nobody has asked to lift this switch yet; request the lift first.',
  },
  switch_lift_needs_second_operator: {
    type: 'permission_error',
    message: 'The operator who asked to lift a switch cannot approve it; another must.',
  },
});

/** Raises one of these codes; a code not in the table does not compile. */
export const switchesError = errorFactory(SWITCHES_ERRORS);

type SwitchesErrorCode = keyof typeof SWITCHES_ERRORS;

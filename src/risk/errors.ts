import { defineErrors, errorFactory } from '../lib/errors.ts';

// The risk module's refusals, in precedence order: when several apply, the first listed is
// the answer (a frozen account before a limit, a limit before velocity).

const RISK_ERRORS = defineErrors('risk', {
  risk_register_payment_blocked: {
    type: 'permission_error',
    message: 'This payment was refused by risk checks; the customer can see why in the app.',
  },
  risk_card_link_blocked: {
    type: 'permission_error',
    message: 'This card cannot be linked; the reason says why in words to show the customer.',
  },
  risk_blocked: {
    type: 'permission_error',
    message: 'This payment was refused by risk checks.',
  },
  limit_per_topup_exceeded: {
    type: 'invalid_request_error',
    message: 'The amount is above the limit for one top-up.',
  },
  limit_daily_exceeded: {
    type: 'invalid_request_error',
    message: 'This top-up would pass the daily top-up limit.',
  },
  limit_monthly_exceeded: {
    type: 'invalid_request_error',
    message: 'This top-up would pass the monthly top-up limit.',
  },
  risk_velocity_exceeded: {
    type: 'rate_limit_error',
    message: 'Too many payments in a short time; try again later.',
  },
  risk_review_pending: {
    type: 'permission_error',
    message: 'This top-up is held for a short review; the customer is told the outcome.',
  },
  risk_step_up_required: {
    type: 'permission_error',
    message: 'Confirm it is you again (passkey or authenticator code), then retry.',
  },
  risk_rule_set_invalid: {
    type: 'invalid_request_error',
    message: 'The rule set is not valid; see rule and problem.',
  },
  risk_rule_set_not_found: {
    type: 'not_found_error',
    message: 'No rule set has this version.',
  },
  risk_rule_set_wrong_status: {
    type: 'conflict_error',
    message: 'The rule set is not in a state that allows this step.',
  },
  risk_promotion_not_requested: {
    type: 'conflict_error',
    message: 'Nobody asked for this version to be promoted yet.',
  },
  risk_promotion_needs_second_operator: {
    type: 'permission_error',
    message: 'A promotion is approved by an operator other than the one who asked for it.',
  },
  risk_review_not_found: {
    type: 'not_found_error',
    message: 'No review has this id.',
  },
  risk_review_exists: {
    type: 'conflict_error',
    message: 'This payment or top-up is already held for review; it is held only once.',
  },
  risk_review_already_decided: {
    type: 'conflict_error',
    message: 'This review was already decided; see status and decided_by.',
  },
  risk_ip_table_invalid: {
    type: 'invalid_request_error',
    message: 'The file is not a delegated statistics file with home-country blocks.',
  },
  risk_bin_table_invalid: {
    type: 'invalid_request_error',
    message: 'The file is not a BIN table (bin_low,bin_high,country,funding,brand).',
  },
  limit_above_maximum: {
    type: 'invalid_request_error',
    message: 'A limit cannot be set above the maximum for this account.',
  },
});

/** Raises one of these codes; a code not in the table does not compile. */
export const riskError = errorFactory(RISK_ERRORS);

export type RiskErrorCode = keyof typeof RISK_ERRORS;

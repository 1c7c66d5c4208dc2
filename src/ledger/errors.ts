// The ledger's result codes, each table in precedence order: when several checks fail, the
// first one listed is the answer. A batch answers one code per input; `ok` is success and
// every other code means the transfer (or account) was not stored. Codes are expected
// outcomes, never thrown; a broken invariant is an assert instead.

const ACCOUNT_RESULTS = [
  'id_invalid',
  'flags_are_mutually_exclusive',
  'code_invalid',
  'currency_invalid',
  'exists_with_different_flags',
  'exists_with_different_code',
  'exists_with_different_currency',
  'exists_with_different_user_data',
  'exists',
  'ok',
] as const;

export type AccountResultCode = (typeof ACCOUNT_RESULTS)[number];

export const TRANSFER_RESULTS = [
  // 1. Linked chains.
  'linked_event_failed',
  'linked_event_chain_open',
  // 2. The transfer on its own.
  'id_invalid',
  'flags_are_mutually_exclusive',
  'pending_id_must_be_zero',
  'pending_id_must_not_be_zero',
  'pending_id_invalid',
  'pending_id_must_be_different',
  'timeout_reserved_for_pending_transfer',
  'timeout_exceeds_limit',
  'debit_account_id_invalid',
  'credit_account_id_invalid',
  'accounts_must_be_different',
  'amount_must_be_positive',
  'code_invalid',
  'currency_invalid',
  // 3. Idempotent retries.
  'exists_with_different_flags',
  'exists_with_different_pending_id',
  'exists_with_different_timeout',
  'exists_with_different_debit_account_id',
  'exists_with_different_credit_account_id',
  'exists_with_different_amount',
  'exists_with_different_currency',
  'exists_with_different_code',
  'exists_with_different_user_data',
  'exists',
  // 4. Accounts of a single-phase or pending transfer.
  'debit_account_not_found',
  'credit_account_not_found',
  'accounts_must_have_the_same_currency',
  'transfer_must_have_the_same_currency_as_accounts',
  // 5. The pending transfer a post or void resolves.
  'pending_transfer_not_found',
  'pending_transfer_not_pending',
  'pending_transfer_has_different_debit_account_id',
  'pending_transfer_has_different_credit_account_id',
  'pending_transfer_has_different_currency',
  'pending_transfer_has_different_code',
  'pending_transfer_already_posted',
  'pending_transfer_already_voided',
  'pending_transfer_expired',
  'exceeds_pending_transfer_amount',
  'pending_transfer_has_different_amount',
  // 6. Balances that would pass the int8 maximum.
  'overflows_debits',
  'overflows_credits',
  // 7. Account balance limits.
  'exceeds_credits',
  'exceeds_debits',
  'ok',
] as const;

export type TransferResultCode = (typeof TRANSFER_RESULTS)[number];

-- Who froze an account and why, kept on the account while it is frozen.
--
-- Operators freeze with a reason, and restoring an account is a second operator's decision:
-- the operator who froze it cannot unfreeze it (identity/operator-accounts.ts). The audit
-- chain holds the full history; these columns are the current state the rule and the console
-- read. frozen_by is null when the customer froze the account ("this was not me" link).

alter table identity_customers add column frozen_by uuid;
alter table identity_customers add column frozen_reason text
  check (frozen_reason is null or char_length(frozen_reason) <= 500);

-- 0011_identity_deletion: a customer can delete their account. The row stays (its id is in
-- the ledger and the audit trail) with status 'deleted'; its email and phone become
-- tombstones, so they are free for a new sign-up, and its secrets are dropped.

alter table identity_customers drop constraint identity_customers_status_check;
alter table identity_customers add constraint identity_customers_status_check
  check (status in ('active', 'frozen', 'deleted'));
alter table identity_customers add column deleted_at timestamptz;
alter table identity_customers alter column password_hash drop not null;

-- Ledger: double-entry accounts and transfers, after TigerBeetle's data model.
--
-- An account holds four balances in minor units of its one currency: debits and credits,
-- each pending (reserved by a two-phase transfer) and posted. A transfer moves an amount
-- from its debit account to its credit account of the same currency; every transfer adds
-- the same amount to one debit balance and one credit balance, so per currency the sum of
-- debits always equals the sum of credits.
--
-- Balances are stored on the account row (not summed on read) because batches lock and
-- update them in place: `SELECT ... ORDER BY id FOR UPDATE` over a batch's accounts, then
-- one `UPDATE ... FROM unnest(...)`. `kinko ledger check` recomputes them from the
-- transfers below and compares.
--
-- Two-phase transfers: a pending transfer (flags & 2) reserves its amount in the pending
-- balances and carries `state` ('pending', then 'posted', 'voided' or 'expired'); a post
-- (flags & 4) or void (flags & 8) transfer names it in pending_id and is stored with the
-- resolved accounts and the amount it posted (or, for a void, the amount it released).
-- Only pending transfers have a state; it is the single mutable column of a transfer.
--
-- Transfers are never updated otherwise and never deleted. Failed transfers are not stored.
-- Foreign keys to accounts are left out on purpose: the ledger only inserts a transfer
-- after locking both accounts, and per-row foreign-key triggers would cost two index probes
-- and two row locks for each of up to 8190 transfers per batch. check() finds orphans.

create table ledger_accounts (
  id              uuid primary key,
  currency        text not null check (currency ~ '^[A-Z]{3}$'),
  code            int not null check (code between 1 and 65535),
  -- 1 = debits must not exceed credits, 2 = credits must not exceed debits; never both.
  flags           int not null check (flags in (0, 1, 2)),
  user_data       text,
  debits_pending  int8 not null default 0 check (debits_pending >= 0),
  debits_posted   int8 not null default 0 check (debits_posted >= 0),
  credits_pending int8 not null default 0 check (credits_pending >= 0),
  credits_posted  int8 not null default 0 check (credits_posted >= 0),
  created_at      timestamptz not null
)
-- Balances change on every transfer and no index covers them, so room left on each page
-- lets PostgreSQL update rows in place (HOT) instead of touching the primary-key index.
with (fillfactor = 50);

create table ledger_transfers (
  id                uuid primary key,
  debit_account_id  uuid not null,
  credit_account_id uuid not null check (credit_account_id <> debit_account_id),
  amount            int8 not null check (amount > 0),
  -- The pending transfer a post or void resolves; null for every other transfer.
  pending_id        uuid,
  currency          text not null check (currency ~ '^[A-Z]{3}$'),
  code              int not null check (code between 1 and 65535),
  -- 1 linked, 2 pending, 4 post pending transfer, 8 void pending transfer.
  flags             int not null check (flags between 0 and 15),
  timeout_seconds   int not null default 0 check (timeout_seconds >= 0),
  user_data         text,
  created_at        timestamptz not null,
  -- Only pending transfers have a state; expires_at is set when their timeout is positive.
  state             text check (state in ('pending', 'posted', 'voided', 'expired')),
  expires_at        timestamptz,
  check ((flags & 2 = 2) = (state is not null)),
  check ((flags & 12 <> 0) = (pending_id is not null)),
  check (expires_at is null or flags & 2 = 2)
);

-- expirePendingTransfers() scans only live pending transfers with a deadline.
create index ledger_transfers_expiry on ledger_transfers (expires_at)
  where state = 'pending' and expires_at is not null;

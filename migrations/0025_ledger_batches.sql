-- 0025_ledger_batches: a ledger batch is audited by one entry holding the Merkle root over its
-- transfers (RFC 6962), instead of one entry per transfer.
--
-- The entry (action ledger.batch.created, subject ledger_batch) commits to the root and the
-- count. This table keeps what `kinko audit verify` needs to recompute the root and, when it
-- does not match, to name the transfer: the batch's transfer ids in leaf order and the leaf
-- hashes committed. Neither is trusted on its own: the leaves must hash to the chained root
-- before verify believes them, and the ids only say where to look.
create table ledger_batches (
  id           uuid primary key,
  -- 16 raw bytes per transfer, in leaf order.
  transfer_ids bytea not null check (length(transfer_ids) % 16 = 0 and length(transfer_ids) > 0),
  -- 32 bytes per transfer: SHA-256(0x00 || canonical transfer), in the same order.
  leaf_hashes  bytea not null check (length(leaf_hashes) = 2 * length(transfer_ids)),
  created_at   timestamptz not null
);
-- Hashes do not compress: store them out of line without trying.
alter table ledger_batches alter column transfer_ids set storage external;
alter table ledger_batches alter column leaf_hashes set storage external;

-- The batch a transfer was created in; null for transfers created before this migration,
-- which have one audit entry each. No index: verify and proofs reach transfers by id.
alter table ledger_transfers add column batch_id uuid;

create function ledger_batches_append_only() returns trigger language plpgsql as $$
begin
  raise exception 'ledger_batches is append-only (% refused)', tg_op;
end $$;
create trigger ledger_batches_append_only
  before update or delete or truncate on ledger_batches
  for each statement execute function ledger_batches_append_only();

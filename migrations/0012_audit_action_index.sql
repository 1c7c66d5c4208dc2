-- The audit action index leaves out ledger transfer entries.
--
-- Every ledger transfer writes an entry (`ledger.transfer.created`, `.posted`, `.voided`,
-- `.expired`): thousands per batch, most of the audit log. Keeping them in the action index
-- cost about a quarter of an append's time. A lookup by one of those actions does not need
-- it: such entries are dense in seq order, so walking the primary key from afterSeq finds
-- a page of them at once; the rare actions operators search for (a stuffing detection, a
-- freeze) keep their index. A transfer's own entry is still found by its subject.

drop index audit_entries_action;
create index audit_entries_action on audit_entries (action, seq)
  where action not like 'ledger.transfer.%';

-- 0048_audit_indexes_chained_only: the indexes keyed by seq hold chained entries only.
--
-- An entry is inserted unchained (seq null, migration 0026) and chained soon after by an
-- UPDATE that can never be HOT (it sets seq, which these indexes hold). So every append
-- wrote an index entry with a null seq into the seq, subject and action indexes, and the
-- chaining wrote each again with its seq, leaving the first to be vacuumed: three of the
-- five index entries an append wrote were never read. Every reader of these indexes asks
-- for chained entries (seq > n, seq = n: PostgreSQL proves seq is not null from either),
-- and the sequencer finds unchained ones through audit_entries_unchained. Now an append
-- writes its row, the primary key and the unchained index; the chaining writes the rest.
-- seq stays unique: a partial unique index on seq is unique over every non-null seq, and
-- nulls were never compared.

drop index audit_entries_seq;
create unique index audit_entries_seq on audit_entries (seq) where seq is not null;

drop index audit_entries_subject;
create index audit_entries_subject on audit_entries (subject_type, subject_id, seq)
  where seq is not null;

drop index audit_entries_actor;
create index audit_entries_actor on audit_entries (actor_type, actor_id, seq)
  where actor_id is not null and seq is not null;

drop index audit_entries_action;
create index audit_entries_action on audit_entries (action, seq)
  where action not like 'ledger.transfer.%' and seq is not null;

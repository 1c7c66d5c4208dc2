-- 0028_audit_entries_inserted_unchained: an entry is written unchained and only audit_chain()
-- gives it its place (0026). A row inserted with its chain fields already set would skip the
-- sequencer: with the server's own credentials, someone could plant an entry at the seq the
-- chainer is about to use, and chaining would stop at the clash until an operator stepped in.
-- Such rows are refused. The WHEN clause keeps the normal append free of any trigger call;
-- a restore loads rows with user triggers disabled, as the owner.

create function audit_entries_inserted_unchained() returns trigger language plpgsql as $$
begin
  raise exception 'audit_entries rows are inserted unchained; audit_chain() sets seq and hashes';
end $$;

create trigger audit_entries_inserted_unchained
  before insert on audit_entries
  for each row
  when (new.seq is not null or new.prev_hash is not null or new.hash is not null)
  execute function audit_entries_inserted_unchained();

-- Audit log: append-only and hash-chained. Each entry's hash commits to the previous entry's
-- hash and to its own canonical content (audit/chain.ts), so an edit, deletion, insertion
-- or reordering breaks the chain. Signed checkpoints (Ed25519 over seq and head hash) let a
-- copy kept off the host prove that entries were not rewritten wholesale.

create table audit_entries (
  seq          bigint primary key check (seq > 0),
  at           timestamptz not null,
  actor_type   text not null,
  actor_id     text,
  action       text not null,
  subject_type text,
  subject_id   text,
  source_ip    text,
  request_id   text,
  outcome      text not null check (outcome in ('success', 'failure', 'denied')),
  -- The canonical JSON exactly as hashed; text rather than jsonb so no byte can drift.
  detail       text not null,
  prev_hash    bytea not null check (length(prev_hash) = 32),
  hash         bytea not null check (length(hash) = 32)
);
-- Operators look entries up by subject ("everything about payment X"), by actor ("everything
-- operator Y did") and by action ("every stuffing detection"), oldest first from a seq.
-- Entries without an actor id (system work such as ledger batches, thousands per commit)
-- are left out of the actor index: a lookup by actor always names one, and the appends
-- that matter most for throughput then maintain two secondary indexes instead of three.
create index audit_entries_subject on audit_entries (subject_type, subject_id, seq);
create index audit_entries_actor on audit_entries (actor_type, actor_id, seq)
  where actor_id is not null;
create index audit_entries_action on audit_entries (action, seq);

-- The chain head: one row, locked by every appending transaction so entries get
-- contiguous sequence numbers in commit order.
create table audit_head (
  singleton boolean primary key default true check (singleton),
  seq       bigint not null,
  hash      bytea not null check (length(hash) = 32)
);
insert into audit_head (singleton, seq, hash) values (true, 0, decode(repeat('00', 32), 'hex'));

-- One row per signed head. The public key is kept beside each signature so that an export
-- names the key that made it; verification still trusts only keys the operator supplies.
create table audit_checkpoints (
  seq        bigint primary key check (seq > 0),
  head_hash  bytea not null check (length(head_hash) = 32),
  key_id     text not null check (key_id ~ '^[0-9a-f]{16}$'),
  public_key bytea not null check (length(public_key) = 32),
  signature  bytea not null check (length(signature) = 64),
  created_at timestamptz not null
);

-- Entries are never updated or deleted by Kinko. The trigger turns a mistaken UPDATE or
-- DELETE into an error; a deliberate attacker who disables it is caught by verification.
create function audit_entries_append_only() returns trigger language plpgsql as $$
begin
  raise exception 'audit_entries is append-only (% refused)', tg_op;
end $$;
create trigger audit_entries_append_only before update or delete or truncate on audit_entries
  for each statement execute function audit_entries_append_only();

create function audit_checkpoints_append_only() returns trigger language plpgsql as $$
begin
  raise exception 'audit_checkpoints is append-only (% refused)', tg_op;
end $$;
create trigger audit_checkpoints_append_only
  before update or delete or truncate on audit_checkpoints
  for each statement execute function audit_checkpoints_append_only();

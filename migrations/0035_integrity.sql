-- 0035_integrity: file integrity. Every distinct manifest Kinko has observed of the files it
-- serves and runs (source or build output, browser assets, migrations), by the SHA-256 root
-- over its sorted entries; and the approvals that make one of them the expected state (a
-- deliberate upgrade). Both are insert-only: an approval is never edited, a newer one
-- replaces it as the expected state.

create table integrity_manifests (
  root_hash   bytea primary key check (length(root_hash) = 32),
  observed_at timestamptz not null,
  version     text not null check (length(version) <= 64),
  file_count  int not null check (file_count >= 0),
  -- {"src/main.ts": "<sha256 hex>", …}
  files       jsonb not null
);

create table integrity_approvals (
  id          bigserial primary key,
  root_hash   bytea not null references integrity_manifests (root_hash),
  approved_at timestamptz not null,
  actor_type  text not null check (actor_type in ('system', 'cli', 'operator')),
  actor_id    text check (length(actor_id) <= 100),
  reason      text not null check (length(reason) between 1 and 500)
);
create index integrity_approvals_newest on integrity_approvals (id desc);

create function integrity_insert_only() returns trigger language plpgsql as $$
begin
  raise exception '% is insert-only (% refused)', tg_table_name, tg_op;
end $$;
create trigger integrity_manifests_append_only
  before update or delete or truncate on integrity_manifests
  for each statement execute function integrity_insert_only();
create trigger integrity_approvals_append_only
  before update or delete or truncate on integrity_approvals
  for each statement execute function integrity_insert_only();

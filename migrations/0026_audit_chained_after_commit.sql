-- Audit entries are chained after commit, by one sequencer at a time, instead of by every
-- appender under the head row's lock.
--
-- Before: each appending transaction locked audit_head, hashed, inserted and moved the head,
-- and kept the lock until its commit — through the client round trips between its last
-- statements and through the commit's WAL flush. Every audited write queued on that row:
-- 16 callers posting one transfer each got 33 transfers/s where one caller got 417/s.
--
-- Now: an appender only inserts its entries (seq, prev_hash and hash left null) in its own
-- transaction, so the change, its entries and its outbox event still commit together, and
-- it locks nothing shared. audit_chain() then takes the head, numbers the committed
-- unchained entries in id order, hashes them exactly as audit/chain.ts does, and moves the
-- head — one statement, server-side, so the head is never locked while PostgreSQL waits for
-- a client. Hashes, checkpoints and `kinko audit verify` are unchanged for chained entries.

alter table audit_entries add column id bigint generated always as identity;
alter table audit_entries drop constraint audit_entries_pkey;
alter table audit_entries add primary key (id);
alter table audit_entries alter column seq drop not null;
alter table audit_entries alter column prev_hash drop not null;
alter table audit_entries alter column hash drop not null;
alter table audit_entries add constraint audit_entries_chained_whole
  check ((seq is null) = (hash is null) and (seq is null) = (prev_hash is null));
create unique index audit_entries_seq on audit_entries (seq);
-- The sequencer's queue: only entries not chained yet, in the order they were written.
create index audit_entries_unchained on audit_entries (id) where seq is null;

-- The one UPDATE Kinko makes to an entry is audit_chain() filling in its chain fields once;
-- the function says so in a transaction-local setting. Anything else (a mistaken UPDATE by
-- the owner, any DELETE or TRUNCATE) is refused. The serving role has no UPDATE or DELETE
-- on this table at all (db/roles.ts), so it cannot use the setting to rewrite entries.
create or replace function audit_entries_append_only() returns trigger language plpgsql as $$
begin
  if tg_op = 'UPDATE' and current_setting('kinko.audit_chaining', true) = 'on' then
    return null;
  end if;
  raise exception 'audit_entries is append-only (% refused)', tg_op;
end $$;

-- Chains up to entries_max committed unchained entries, oldest id first; returns how many,
-- or -1 when wait is false and another session holds the head. The hash is chain.ts's
-- entryHash: SHA-256(prev ‖ JSON [seq, ISO time, actor type, actor id, action, subject
-- type, subject id, source ip, request id, outcome, detail]); PostgreSQL's JSON string
-- escaping equals JSON.stringify's for every string a text column can hold (append.test.ts
-- holds them to it). SECURITY DEFINER because the serving role may not UPDATE entries:
-- this function, owned by the schema owner, is its only way to set chain fields.
create function audit_chain(entries_max integer, wait boolean) returns bigint
language plpgsql security definer set search_path = pg_catalog, public as $$
declare
  head_seq bigint;
  head_hash bytea;
  ids bigint[];
  bodies text[];
  prevs bytea[];
  hashes bytea[];
  n integer;
begin
  if wait then
    select seq, hash into head_seq, head_hash from audit_head where singleton for update;
  else
    select seq, hash into head_seq, head_hash from audit_head where singleton
      for update skip locked;
    if not found then
      return -1;
    end if;
  end if;
  select array_agg(p.id order by p.id), array_agg(p.body order by p.id) into ids, bodies
  from (
    select e.id,
      '"' || to_char(e.at at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"') || '",'
      || coalesce(to_json(e.actor_type)::text, 'null') || ','
      || coalesce(to_json(e.actor_id)::text, 'null') || ','
      || coalesce(to_json(e.action)::text, 'null') || ','
      || coalesce(to_json(e.subject_type)::text, 'null') || ','
      || coalesce(to_json(e.subject_id)::text, 'null') || ','
      || coalesce(to_json(e.source_ip)::text, 'null') || ','
      || coalesce(to_json(e.request_id)::text, 'null') || ','
      || coalesce(to_json(e.outcome)::text, 'null') || ','
      || coalesce(to_json(e.detail)::text, 'null') || ']' as body
    from audit_entries e where e.seq is null order by e.id limit entries_max
  ) p;
  n := coalesce(array_length(ids, 1), 0);
  if n = 0 then
    return 0;
  end if;
  prevs := array_fill(null::bytea, array[n]);
  hashes := array_fill(null::bytea, array[n]);
  for i in 1 .. n loop
    prevs[i] := head_hash;
    head_hash := sha256(
      head_hash || convert_to('["' || (head_seq + i) || '",' || bodies[i], 'UTF8'));
    hashes[i] := head_hash;
  end loop;
  perform set_config('kinko.audit_chaining', 'on', true);
  update audit_entries e set seq = head_seq + u.k, prev_hash = u.prev_hash, hash = u.hash
  from unnest(ids, prevs, hashes) with ordinality as u(id, prev_hash, hash, k)
  where e.id = u.id;
  perform set_config('kinko.audit_chaining', 'off', true);
  update audit_head set seq = head_seq + n, hash = head_hash where singleton;
  return n;
end $$;

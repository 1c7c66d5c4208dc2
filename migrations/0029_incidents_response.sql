-- 0029_incidents_response: an incident is worked on, not only recorded. It gets a title, an
-- owner, a fourth status (resolved) and the detector that raised it, and its status only moves
-- forward: open → contained → resolved → closed (a step may be skipped, so a false alarm can
-- be closed at once; a new signal after resolution opens a new incident instead of reopening
-- the old one, so the record of what was resolved when stays true).
--
-- A detector raises a signal under a key (`identity.stuffing` + the source network); while an
-- incident with that key is open or contained, a new signal joins it (a `signal_joined`
-- event) instead of opening another. The partial unique index makes that hold even for two
-- detectors raising at once in two processes.
--
-- The record still changes only through its timeline (0016): the trigger below applies the
-- new event kinds, and every other kind (notes, switch changes, scope runs, notices,
-- compensation, reports) is appended as it comes and touches only `updated_at`.

alter table incidents_records drop constraint incidents_records_status_check;
alter table incidents_records add constraint incidents_records_status_check
  check (status in ('open', 'contained', 'resolved', 'closed'));

alter table incidents_records disable trigger incidents_records_from_timeline;
alter table incidents_records
  add column title text,
  add column owner_id text check (length(owner_id) between 1 and 200),
  add column detector text check (detector ~ '^[a-z][a-z0-9_.]{0,63}$'),
  add column detector_key text check (length(detector_key) between 1 and 200),
  add column signals int not null default 1 check (signals >= 1),
  add column last_signal_at timestamptz,
  add column updated_at timestamptz;
update incidents_records set title = left(summary, 200), last_signal_at = opened_at,
  updated_at = opened_at;
alter table incidents_records
  alter column title set not null,
  alter column last_signal_at set not null,
  alter column updated_at set not null,
  add constraint incidents_records_title check (length(title) between 1 and 200),
  add constraint incidents_records_detector_keyed
    check ((detector is null) = (detector_key is null));
alter table incidents_records enable trigger incidents_records_from_timeline;

create unique index incidents_records_detector_live on incidents_records (detector, detector_key)
  where status in ('open', 'contained') and detector is not null;
create index incidents_records_recent on incidents_records (opened_at desc, id);

create or replace function incidents_events_apply() returns trigger language plpgsql as $$
declare
  cur incidents_records%rowtype;
  next_status text := new.detail ->> 'to';
  rank_of constant text[] := array['open', 'contained', 'resolved', 'closed'];
begin
  if new.kind = 'opened' then
    insert into incidents_records (id, kind, severity, summary, detail, opened_at, title,
        owner_id, detector, detector_key, signals, last_signal_at, updated_at)
    values (new.incident_id, new.detail ->> 'kind', new.detail ->> 'severity',
            new.detail ->> 'summary', coalesce(new.detail -> 'detail', '{}'::jsonb), new.at,
            coalesce(new.detail ->> 'title', left(new.detail ->> 'summary', 200)),
            new.detail ->> 'owner_id', new.detail ->> 'detector', new.detail ->> 'detector_key',
            1, new.at, new.at);
    return new;
  end if;
  select * into cur from incidents_records where id = new.incident_id for update;
  if cur.id is null then
    raise exception 'incident % does not exist', new.incident_id;
  end if;
  if new.kind = 'status_changed' then
    if cur.status is distinct from new.detail ->> 'from' then
      raise exception 'incident % is %, not %', new.incident_id, cur.status,
        new.detail ->> 'from';
    end if;
    if next_status is null or array_position(rank_of, next_status) is null
        or array_position(rank_of, next_status) <= array_position(rank_of, cur.status) then
      raise exception 'incident % cannot go from % to %', new.incident_id, cur.status,
        coalesce(next_status, 'null');
    end if;
    update incidents_records set status = next_status, updated_at = new.at
      where id = new.incident_id;
  elsif new.kind = 'owner_changed' then
    update incidents_records set owner_id = new.detail ->> 'to', updated_at = new.at
      where id = new.incident_id;
  elsif new.kind = 'severity_changed' then
    update incidents_records set severity = new.detail ->> 'to', updated_at = new.at
      where id = new.incident_id;
  elsif new.kind = 'signal_joined' then
    if cur.status not in ('open', 'contained') then
      raise exception 'incident % is %; a signal joins only a live incident', new.incident_id,
        cur.status;
    end if;
    update incidents_records set signals = signals + 1, last_signal_at = new.at,
      updated_at = new.at where id = new.incident_id;
  else
    update incidents_records set updated_at = greatest(updated_at, new.at)
      where id = new.incident_id;
  end if;
  return new;
end $$;

-- What the timeline may change on the record: status, owner, severity and the signal counts.
create or replace function incidents_records_from_timeline() returns trigger language plpgsql as $$
begin
  if tg_op in ('DELETE', 'TRUNCATE') or pg_trigger_depth() < 2 then
    raise exception 'incidents_records changes only through incidents_events (% refused)',
      tg_op;
  end if;
  if tg_op = 'UPDATE' and (new.id, new.kind, new.summary, new.detail, new.opened_at,
      new.title, new.detector, new.detector_key) is distinct from (old.id, old.kind,
      old.summary, old.detail, old.opened_at, old.title, old.detector, old.detector_key) then
    raise exception 'an incident''s identity (kind, title, summary, detector) never changes';
  end if;
  return new;
end $$;

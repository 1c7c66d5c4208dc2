-- 0016_incidents_timeline: an incident's history is an insert-only timeline, and the incident
-- record is only its current state, kept by the timeline itself. Every change to an incident
-- is a timeline event (and an audit entry, written by the incidents module in the same
-- transaction); nothing that happened to an incident can be edited or removed afterwards.
--
-- The record can be written only from the timeline's trigger: an "opened" event creates it,
-- a "status_changed" event moves its status along an allowed transition. A direct INSERT,
-- UPDATE, DELETE or TRUNCATE of incidents_records is refused, and so is any UPDATE, DELETE
-- or TRUNCATE of incidents_events.

create table incidents_events (
  seq         bigint generated always as identity primary key,
  incident_id text not null references incidents_records (id),
  at          timestamptz not null,
  actor_type  text not null
    check (actor_type in ('system', 'customer', 'operator', 'merchant', 'api_key', 'terminal',
                          'cli')),
  actor_id    text check (length(actor_id) between 1 and 200),
  kind        text not null check (kind ~ '^[a-z][a-z0-9_.]{0,63}$'),
  detail      jsonb not null default '{}'::jsonb check (jsonb_typeof(detail) = 'object')
);
create index incidents_events_incident on incidents_events (incident_id, seq);

-- Incidents recorded before the timeline existed get their "opened" event now (and a status
-- change when they had left "open"), before the triggers below start to apply events.
insert into incidents_events (incident_id, at, actor_type, kind, detail)
select id, opened_at, 'system', 'opened',
       jsonb_build_object('kind', kind, 'severity', severity, 'summary', summary,
                          'detail', detail)
from incidents_records order by opened_at, id;
insert into incidents_events (incident_id, at, actor_type, kind, detail)
select id, opened_at, 'system', 'status_changed',
       jsonb_build_object('from', 'open', 'to', status)
from incidents_records where status <> 'open' order by opened_at, id;

-- Applies an event to the current state. The allowed transitions are listed here and in
-- incidents/incident.ts (which answers a named error before the database has to refuse).
create function incidents_events_apply() returns trigger language plpgsql as $$
declare
  current_status text;
  next_status text := new.detail ->> 'to';
begin
  if new.kind = 'opened' then
    insert into incidents_records (id, kind, severity, summary, detail, opened_at)
    values (new.incident_id, new.detail ->> 'kind', new.detail ->> 'severity',
            new.detail ->> 'summary', coalesce(new.detail -> 'detail', '{}'::jsonb), new.at);
  elsif new.kind = 'status_changed' then
    select status into current_status from incidents_records
      where id = new.incident_id for update;
    if current_status is null then
      raise exception 'incident % does not exist', new.incident_id;
    end if;
    if current_status is distinct from new.detail ->> 'from' then
      raise exception 'incident % is %, not %', new.incident_id, current_status,
        new.detail ->> 'from';
    end if;
    if next_status is null or (current_status, next_status) not in (('open', 'contained'), ('open', 'closed'),
        ('contained', 'closed'), ('contained', 'open'), ('closed', 'open')) then
      raise exception 'incident % cannot go from % to %', new.incident_id, current_status,
        coalesce(next_status, 'null');
    end if;
    update incidents_records set status = next_status where id = new.incident_id;
  end if;
  return new;
end $$;
create trigger incidents_events_apply before insert on incidents_events
  for each row execute function incidents_events_apply();

create function incidents_events_append_only() returns trigger language plpgsql as $$
begin
  raise exception 'incidents_events is append-only (% refused)', tg_op;
end $$;
create trigger incidents_events_append_only
  before update or delete or truncate on incidents_events
  for each statement execute function incidents_events_append_only();

-- The record follows the timeline: written only by incidents_events_apply (trigger depth 2),
-- never removed, and an update may change the status alone.
create function incidents_records_from_timeline() returns trigger language plpgsql as $$
begin
  if tg_op in ('DELETE', 'TRUNCATE') or pg_trigger_depth() < 2 then
    raise exception 'incidents_records changes only through incidents_events (% refused)',
      tg_op;
  end if;
  if tg_op = 'UPDATE' and (new.id, new.kind, new.severity, new.summary, new.detail,
      new.opened_at) is distinct from (old.id, old.kind, old.severity, old.summary, old.detail,
      old.opened_at) then
    raise exception 'an incident''s status is the only field that changes';
  end if;
  return new;
end $$;
create trigger incidents_records_from_timeline
  before insert or update or delete on incidents_records
  for each row execute function incidents_records_from_timeline();
create trigger incidents_records_no_truncate before truncate on incidents_records
  for each statement execute function incidents_records_from_timeline();

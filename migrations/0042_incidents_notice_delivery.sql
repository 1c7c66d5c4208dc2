-- 0042_incidents_notice_delivery: each notice's delivery state, and notices to merchants.
--
-- A notice is evidence of what Kinko told whom and when, so its facts never change; what does
-- change is how its delivery went: queued (on the outbox) → sent (the notify worker is
-- handing it to its channel; failed attempts are counted here while the outbox retries) →
-- delivered (the channel took it) or failed (the outbox gave up). An operator may queue a
-- failed notice again; a delivered one never leaves that state. The guard trigger below
-- holds both rules for both tables, whatever the server asks.

-- The statement trigger refused every update; the row guard replaces it.
drop trigger incidents_notices_append_only on incidents_notices;
drop function incidents_notices_append_only();

alter table incidents_notices
  add column ref        text,
  add column contact    text check (length(contact) between 1 and 200),
  add column state      text not null default 'queued'
    check (state in ('queued', 'sent', 'delivered', 'failed')),
  add column state_at   timestamptz,
  add column attempts   int not null default 0 check (attempts >= 0),
  add column retries    int not null default 0 check (retries >= 0),
  add column last_error text check (length(last_error) <= 500);

-- Notices sent before this migration were handed to the outbox; how it went was not kept.
update incidents_notices set
  ref = 'ntc_' || substr(md5(incident_id || '|' || customer_id || '|' || channel), 1, 24),
  state = 'sent', state_at = sent_at;
alter table incidents_notices
  alter column ref set not null,
  alter column state_at set not null,
  add constraint incidents_notices_ref unique (ref),
  add constraint incidents_notices_ref_form check (ref ~ '^ntc_[A-Za-z0-9_-]{16,64}$');
create index incidents_notices_state on incidents_notices (incident_id, state);

-- Merchants in scope: one webhook event per incident and merchant (the row that makes the
-- notice once-only) and one email to each of its owners and admins.
create table incidents_merchant_notices (
  ref         text primary key check (ref ~ '^mnt_[A-Za-z0-9_-]{16,64}$'),
  incident_id text not null references incidents_records (id),
  merchant_id text not null,
  channel     text not null check (channel in ('webhook', 'email')),
  -- The webhook event (webhook) or the merchant person told (email).
  event_id    text,
  person_id   text,
  scope_id    text not null references incidents_scopes (id),
  contact     text not null check (length(contact) between 1 and 200),
  sent_at     timestamptz not null,
  sent_by     text check (length(sent_by) between 1 and 200),
  state       text not null default 'queued'
    check (state in ('queued', 'sent', 'delivered', 'failed')),
  state_at    timestamptz not null,
  attempts    int not null default 0 check (attempts >= 0),
  retries     int not null default 0 check (retries >= 0),
  last_error  text check (length(last_error) <= 500),
  check ((channel = 'webhook') = (event_id is not null and person_id is null)),
  check ((channel = 'email') = (person_id is not null and event_id is null))
);
create unique index incidents_merchant_notices_once
  on incidents_merchant_notices (incident_id, merchant_id) where channel = 'webhook';
create unique index incidents_merchant_notices_person
  on incidents_merchant_notices (incident_id, merchant_id, person_id) where channel = 'email';
create index incidents_merchant_notices_state on incidents_merchant_notices (incident_id, state);

create function incidents_notices_guard() returns trigger language plpgsql as $$
declare
  moving constant text[] :=
    array['state', 'state_at', 'attempts', 'retries', 'last_error'];
begin
  if tg_op <> 'UPDATE' then
    raise exception '% keeps every notice (% refused)', tg_table_name, tg_op;
  end if;
  if (to_jsonb(new) - moving) <> (to_jsonb(old) - moving) then
    raise exception 'a notice''s facts never change (%)', old.ref;
  end if;
  if old.state = 'delivered' and new is distinct from old then
    raise exception 'notice % was delivered; it never changes again', old.ref;
  end if;
  if not (old.state = new.state
      or (old.state, new.state) in (('queued', 'sent'), ('queued', 'delivered'),
        ('queued', 'failed'), ('sent', 'delivered'), ('sent', 'failed'), ('failed', 'queued'))) then
    raise exception 'notice % cannot go from % to %', old.ref, old.state, new.state;
  end if;
  if (old.state = 'failed' and new.state = 'queued') <> (new.retries = old.retries + 1)
      or new.retries < old.retries then
    raise exception 'notice %: a retry is counted exactly when a failed notice is queued again',
      old.ref;
  end if;
  return new;
end $$;

create trigger incidents_notices_guard before update or delete on incidents_notices
  for each row execute function incidents_notices_guard();
create trigger incidents_notices_no_truncate before truncate on incidents_notices
  for each statement execute function incidents_notices_guard();
create trigger incidents_merchant_notices_guard before update or delete
  on incidents_merchant_notices for each row execute function incidents_notices_guard();
create trigger incidents_merchant_notices_no_truncate before truncate
  on incidents_merchant_notices for each statement execute function incidents_notices_guard();

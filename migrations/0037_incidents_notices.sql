-- 0037_incidents_notices: the notices an incident sent to the customers in its scope. One row
-- per incident, customer and channel, written in the transaction that puts the message on the
-- outbox: the primary key is what makes a second run notify nobody twice. Rows are evidence
-- of what Kinko told whom and when, so they never change or go away.

create table incidents_notices (
  incident_id   text not null references incidents_records (id),
  customer_id   text not null,
  channel       text not null check (channel in ('email', 'sms')),
  scope_id      text not null references incidents_scopes (id),
  language      text not null check (language in ('ja+en')),
  sent_at       timestamptz not null,
  sent_by       text check (length(sent_by) between 1 and 200),
  primary key (incident_id, customer_id, channel)
);

create function incidents_notices_append_only() returns trigger language plpgsql as $$
begin
  raise exception 'incidents_notices is append-only (% refused)', tg_op;
end $$;
create trigger incidents_notices_append_only before update or delete or truncate
  on incidents_notices for each statement execute function incidents_notices_append_only();

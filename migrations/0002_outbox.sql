-- Outbox: events written in the same transaction as the change they describe, delivered
-- later (webhooks, notifications) by workers that claim rows with FOR UPDATE SKIP LOCKED.

create table outbox_events (
  id           bigserial primary key,
  topic        text not null,
  event_key    text,
  payload      jsonb not null,
  created_at   timestamptz not null,
  available_at timestamptz not null,
  attempts     int not null default 0,
  lease_owner  text,
  lease_until  timestamptz,
  delivered_at timestamptz,
  dead_at      timestamptz,
  last_error   text
);
create index outbox_events_ready on outbox_events (topic, available_at, id)
  where delivered_at is null and dead_at is null;

-- Outbox: events written in the same transaction as the change they describe, delivered
-- later (webhooks, notifications) by workers that claim rows with FOR UPDATE SKIP LOCKED.
-- A claim is a lease: lease_owner holds the event until lease_until; after that any worker
-- may take it again, so a crashed worker delays an event but never loses it.

create table outbox_events (
  id           bigserial primary key,
  topic        text not null check (topic ~ '^[a-z][a-z0-9_]*(\.[a-z][a-z0-9_]*)*$'),
  event_key    text,
  payload      jsonb not null,
  created_at   timestamptz not null,
  -- Not claimable before this time: set at enqueue, pushed back after each failure.
  available_at timestamptz not null,
  -- Failed attempts so far (a lease that ran out counts as one).
  attempts     int not null default 0 check (attempts >= 0),
  lease_owner  text,
  lease_until  timestamptz,
  delivered_at timestamptz,
  dead_at      timestamptz,
  last_error   text,
  check ((lease_owner is null) = (lease_until is null)),
  check (delivered_at is null or dead_at is null)
);
-- Pending events in claim order; delivered and dead rows drop out of the index.
create index outbox_events_pending on outbox_events (available_at, id)
  where delivered_at is null and dead_at is null;
create index outbox_events_dead on outbox_events (dead_at) where dead_at is not null;

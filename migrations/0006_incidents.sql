-- 0006_incidents: the incident record. Opened by detectors (the vault's card-number scan for
-- now); the incidents module extends it with scope, notifications and compensation.

create table incidents_records (
  id          text primary key check (id ~ '^inc_[A-Za-z0-9_-]{16,64}$'),
  kind        text not null check (kind ~ '^[a-z][a-z0-9_.]{0,63}$'),
  severity    text not null check (severity in ('low', 'medium', 'high', 'critical')),
  status      text not null default 'open' check (status in ('open', 'contained', 'closed')),
  summary     text not null check (length(summary) between 1 and 500),
  detail      jsonb not null default '{}'::jsonb,
  opened_at   timestamptz not null
);
create index incidents_records_open on incidents_records (opened_at) where status = 'open';

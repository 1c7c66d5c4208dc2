-- 0008_webhooks: webhook endpoints, their signing secrets, events, deliveries and the
-- delivery log. Merchants are referred to by id only (the merchants module owns them).

create table webhooks_endpoints (
  id          text primary key check (id ~ '^we_[A-Za-z0-9_-]{16,64}$'),
  merchant_id text not null,
  url         text not null check (length(url) between 1 and 2048),
  -- Event types delivered to this endpoint; '*' for all.
  event_types text[] not null check (cardinality(event_types) between 1 and 64),
  description text check (length(description) <= 500),
  status      text not null default 'enabled' check (status in ('enabled', 'disabled')),
  created_at  timestamptz not null,
  deleted_at  timestamptz
);
create index webhooks_endpoints_merchant on webhooks_endpoints (merchant_id, created_at)
  where deleted_at is null;

-- Signing secrets (whsec_…). Kinko must sign with them, so they cannot be hashed: each is
-- encrypted with AES-256-GCM under a key kept outside the database, bound (as associated
-- data) to its endpoint and secret id, so a copy of the database alone cannot forge
-- signatures and a ciphertext moved to another endpoint does not decrypt.
create table webhooks_secrets (
  id             text primary key check (id ~ '^whs_[A-Za-z0-9_-]{16,64}$'),
  endpoint_id    text not null references webhooks_endpoints (id),
  nonce          bytea not null check (length(nonce) = 12),
  ciphertext     bytea not null,
  tag            bytea not null check (length(tag) = 16),
  display_prefix text not null,
  created_at     timestamptz not null,
  -- Null for the current secret; set on rotation: the old secret also signs until then.
  expires_at     timestamptz
);
create index webhooks_secrets_endpoint on webhooks_secrets (endpoint_id, created_at);

-- One row per event, with the exact JSON body that is sent and signed on every attempt.
create table webhooks_events (
  id          text primary key check (id ~ '^evt_[A-Za-z0-9_-]{16,64}$'),
  merchant_id text not null,
  type        text not null check (type ~ '^[a-z][a-z0-9_]*(\.[a-z][a-z0-9_]*)+$'),
  body        text not null,
  created_at  timestamptz not null
);
create index webhooks_events_merchant on webhooks_events (merchant_id, created_at);

-- One delivery per (event, endpoint): pending until a 2xx answer or until give_up_at.
create table webhooks_deliveries (
  id              text primary key check (id ~ '^whd_[A-Za-z0-9_-]{16,64}$'),
  event_id        text not null references webhooks_events (id),
  endpoint_id     text not null references webhooks_endpoints (id),
  merchant_id     text not null,
  status          text not null check (status in ('pending', 'succeeded', 'failed')),
  attempts        int not null default 0 check (attempts >= 0),
  -- When the next attempt is due; a claimed delivery is pushed past its attempt's timeout,
  -- so a worker that dies mid-attempt delays it but never loses it.
  next_attempt_at timestamptz,
  give_up_at      timestamptz not null,
  created_at      timestamptz not null,
  last_attempt_at timestamptz,
  last_status     int,
  unique (event_id, endpoint_id),
  check ((status = 'pending') = (next_attempt_at is not null))
);
create index webhooks_deliveries_due on webhooks_deliveries (next_attempt_at)
  where status = 'pending';
create index webhooks_deliveries_endpoint on webhooks_deliveries (endpoint_id, created_at);

-- The delivery log: one row per attempt.
create table webhooks_attempts (
  id               bigserial primary key,
  delivery_id      text not null references webhooks_deliveries (id),
  attempted_at     timestamptz not null,
  status_code      int,
  duration_ms      int not null check (duration_ms >= 0),
  -- At most 1 KiB of the receiver's answer, for the merchant's debugging.
  response_snippet text check (octet_length(response_snippet) <= 4096),
  error            text check (length(error) <= 500),
  manual           boolean not null default false
);
create index webhooks_attempts_delivery on webhooks_attempts (delivery_id, id);

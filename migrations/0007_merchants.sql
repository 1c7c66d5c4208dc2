-- 0007_merchants: merchants, stores, terminals, API keys, allowed web origins, and the
-- idempotency keys of the merchant API.
--
-- Secrets (secret and restricted API keys, terminal secrets) are stored only as SHA-256
-- hashes: they carry 256 random bits, so a fast hash is enough (no dictionary to attack) and
-- lookup by hash is one index probe. A short prefix of each is kept for display.

create table merchants_merchants (
  id                text primary key check (id ~ '^mer_[A-Za-z0-9_-]{16,64}$'),
  name              text not null check (length(name) between 1 and 200),
  status            text not null default 'active' check (status in ('active', 'suspended')),
  -- Explicitly allowed to send card data server-to-server (PCI DSS SAQ D); off by default.
  card_data_capable boolean not null default false,
  -- The development demo merchant; at most one, so that seeding is idempotent.
  demo              boolean not null default false,
  created_at        timestamptz not null
);
create unique index merchants_merchants_one_demo on merchants_merchants (demo) where demo;

create table merchants_stores (
  id          text primary key check (id ~ '^sto_[A-Za-z0-9_-]{16,64}$'),
  merchant_id text not null references merchants_merchants (id),
  name        text not null check (length(name) between 1 and 200),
  -- ISO 18245 merchant category code: four digits.
  mcc         text not null check (mcc ~ '^[0-9]{4}$'),
  city        text not null check (length(city) between 1 and 100),
  postal_code text not null check (length(postal_code) between 1 and 16),
  created_at  timestamptz not null
);
create index merchants_stores_merchant on merchants_stores (merchant_id, id);

create table merchants_terminals (
  id            text primary key check (id ~ '^term_[A-Za-z0-9_-]{16,64}$'),
  merchant_id   text not null references merchants_merchants (id),
  store_id      text not null references merchants_stores (id),
  name          text not null check (length(name) between 1 and 200),
  secret_sha256 bytea not null check (length(secret_sha256) = 32),
  secret_prefix text not null,
  status        text not null default 'active' check (status in ('active', 'revoked')),
  last_used_at  timestamptz,
  created_at    timestamptz not null
);
create index merchants_terminals_store on merchants_terminals (store_id, id);
create index merchants_terminals_merchant on merchants_terminals (merchant_id, id);

create table merchants_api_keys (
  id              text primary key check (id ~ '^key_[A-Za-z0-9_-]{16,64}$'),
  merchant_id     text not null references merchants_merchants (id),
  kind            text not null check (kind in ('secret', 'restricted', 'publishable')),
  mode            text not null check (mode in ('live', 'test')),
  name            text check (length(name) <= 100),
  -- For display only, e.g. sk_live_AbCdEfGh; never enough to use the key.
  display_prefix  text not null,
  -- Secret and restricted keys: the SHA-256 of the whole key. Publishable keys are public
  -- (they sit in merchants' web pages) and are kept as they are.
  secret_sha256   bytea unique check (length(secret_sha256) = 32),
  publishable_key text unique,
  scopes          text[] not null,
  created_at      timestamptz not null,
  -- Set when the key is rolled: it keeps working until then (the overlap period).
  expires_at      timestamptz,
  revoked_at      timestamptz,
  last_used_at    timestamptz,
  replaced_by     text references merchants_api_keys (id),
  check ((kind = 'publishable') = (publishable_key is not null)),
  check ((kind = 'publishable') = (secret_sha256 is null))
);
create index merchants_api_keys_merchant on merchants_api_keys (merchant_id, created_at);

-- Origins (scheme://host[:port]) whose pages may frame the hosted card fields and call the
-- publishable-key endpoints (frame-ancestors, CORS).
create table merchants_allowed_origins (
  merchant_id text not null references merchants_merchants (id),
  origin      text not null check (origin ~ '^https?://[^/?#[:space:]]+$'),
  created_at  timestamptz not null,
  primary key (merchant_id, origin)
);

-- Idempotency keys of POST requests (http/idempotency.ts owns this table; it is generic, not
-- merchant-specific, hence no module prefix). scope names the authenticated principal
-- (merchant:<id>:<mode>), so two merchants' keys never collide. A row is first a claim
-- (locked_until set, no response), then holds the first response, replayed for the same key.
create table idempotency_keys (
  scope         text not null check (length(scope) between 1 and 200),
  key           text not null check (length(key) between 1 and 255),
  -- SHA-256 of method, path and canonical JSON body: the same key with other parameters is
  -- refused rather than replayed.
  fingerprint   bytea not null check (length(fingerprint) = 32),
  created_at    timestamptz not null,
  -- While a request holds the key; a claim whose holder crashed may be taken after this.
  locked_until  timestamptz,
  status_code   int check (status_code between 100 and 599),
  content_type  text,
  response_body text,
  completed_at  timestamptz,
  primary key (scope, key),
  check ((status_code is null) = (completed_at is null)),
  check ((completed_at is null) = (locked_until is not null))
);
create index idempotency_keys_created on idempotency_keys (created_at);

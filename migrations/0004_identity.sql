-- 0004_identity: customers and operators (two separate realms), their sessions, devices,
-- second factors, one-time codes, recovery flows and the login throttles; and the notify
-- module's development mailbox. Every secret is stored as a SHA-256 hash or an argon2id
-- hash, never in clear, except TOTP seeds, which must be readable to verify a code.

-- Customers -----------------------------------------------------------------------------

create table identity_customers (
  id                uuid primary key,
  email             text not null unique,          -- lower-cased
  phone             text not null unique,          -- E.164
  password_hash     text not null,                 -- argon2id PHC string
  status            text not null default 'active' check (status in ('active', 'frozen')),
  money_hold_until  timestamptz,                   -- cool-down after recovery
  frozen_at         timestamptz,
  created_at        timestamptz not null,
  updated_at        timestamptz not null
);

-- A sign-up in progress. Rows whose email or phone already belonged to an account are kept
-- as decoys (conflict = true): their codes were never sent, so they can never complete, and
-- the caller cannot tell them apart from a real sign-up.
create table identity_signups (
  id               uuid primary key,
  email            text not null,
  phone            text not null,
  password_hash    text not null,
  email_code_hash  bytea not null,
  phone_code_hash  bytea not null,
  conflict         boolean not null,
  attempts         int not null default 0,
  expires_at       timestamptz not null,
  completed_at     timestamptz,
  created_at       timestamptz not null
);

create table identity_sessions (
  id                  uuid primary key,
  customer_id         uuid not null references identity_customers (id),
  token_hash          bytea not null unique,
  device_id           uuid,
  strong_auth_at      timestamptz,
  strong_auth_factor  text,
  created_at          timestamptz not null,
  last_seen_at        timestamptz not null,
  expires_at          timestamptz not null,          -- absolute lifetime
  revoked_at          timestamptz,
  revoke_reason       text,
  source_ip           text
);
create index identity_sessions_customer on identity_sessions (customer_id) where revoked_at is null;

create table identity_devices (
  id            uuid primary key,
  customer_id   uuid not null references identity_customers (id),
  name          text not null,
  public_key    jsonb not null,                        -- JWK, EC P-256, public part only
  key_thumbprint text not null,                        -- RFC 7638 JWK thumbprint
  status        text not null check (status in ('pending', 'confirmed', 'revoked')),
  confirm_code_hash bytea,
  confirm_attempts  int not null default 0,
  confirm_expires_at timestamptz,
  confirmed_by  text,
  created_at    timestamptz not null,
  confirmed_at  timestamptz,
  unique (customer_id, key_thumbprint)
);

-- A server challenge a device signs to prove it holds its key: single use, short-lived,
-- bound to one session, one device and one action.
create table identity_device_challenges (
  challenge_hash bytea primary key,
  session_id     uuid not null,
  device_id      uuid not null,
  action         text not null,
  expires_at     timestamptz not null,
  used_at        timestamptz
);

create table identity_totp (
  customer_id  uuid primary key references identity_customers (id),
  secret       bytea not null,
  confirmed_at timestamptz,
  last_step    bigint,                                 -- the last accepted RFC 6238 step
  created_at   timestamptz not null
);

create table identity_passkeys (
  credential_id text primary key,                      -- base64url
  customer_id   uuid not null references identity_customers (id),
  public_key    bytea not null,                        -- COSE
  counter       bigint not null,
  transports    text[] not null default '{}',
  created_at    timestamptz not null,
  last_used_at  timestamptz
);
create index identity_passkeys_customer on identity_passkeys (customer_id);

create table identity_webauthn_challenges (
  challenge   text primary key,                        -- base64url, as the client echoes it
  customer_id uuid not null,
  purpose     text not null check (purpose in ('register', 'authenticate')),
  expires_at  timestamptz not null,
  used_at     timestamptz
);

create table identity_recovery_codes (
  customer_id uuid not null references identity_customers (id),
  code_hash   bytea not null,
  used_at     timestamptz,
  created_at  timestamptz not null,
  primary key (customer_id, code_hash)
);

-- One-time codes sent to a contact for a change of email or phone.
create table identity_contact_changes (
  id          uuid primary key,
  customer_id uuid not null references identity_customers (id),
  channel     text not null check (channel in ('email', 'phone')),
  new_value   text not null,
  code_hash   bytea not null,
  attempts    int not null default 0,
  expires_at  timestamptz not null,
  completed_at timestamptz
);

-- Recovery flows. customer_id is null for a flow started for an unknown identifier: it
-- answers exactly like a real one and can never complete.
create table identity_recoveries (
  id               uuid primary key,
  customer_id      uuid,
  email_code_hash  bytea not null,
  phone_code_hash  bytea,
  email_verified_at timestamptz,
  attempts         int not null default 0,
  expires_at       timestamptz not null,
  completed_at     timestamptz,
  created_at       timestamptz not null,
  source_ip        text
);

-- "This was not me" links sent after a recovery: each freezes the account once.
create table identity_freeze_tokens (
  token_hash  bytea primary key,
  customer_id uuid not null references identity_customers (id),
  expires_at  timestamptz not null,
  used_at     timestamptz
);

-- Throttles ------------------------------------------------------------------------------

-- Consecutive failed password checks per identifier (hashed), whether or not an account
-- exists for it, so existing and unknown accounts behave the same.
create table identity_login_failures (
  identifier_hash bytea primary key,
  consecutive     int not null,
  delay_until     timestamptz,
  disabled_at     timestamptz,                         -- password factor off until recovery
  updated_at      timestamptz not null
);

-- Failed logins per source network (an IPv4 /24 or IPv6 /64) in a fixed window.
create table identity_source_failures (
  source_prefix  text primary key,
  window_started_at timestamptz not null,
  failures       int not null,
  next_allowed_at timestamptz,
  blocked_until  timestamptz,
  detected_at    timestamptz
);

-- Generic fixed-window counters for rate limits (recovery per account and per source).
create table identity_rate_counters (
  key          text primary key,
  window_started_at timestamptz not null,
  count        int not null
);

-- Operators: a separate realm -------------------------------------------------------------

create table identity_operators (
  id            uuid primary key,
  email         text not null unique,
  name          text not null,
  role          text not null check (role in ('support', 'risk_analyst', 'security_admin')),
  password_hash text not null,
  totp_secret   bytea not null,
  totp_last_step bigint,
  failures      int not null default 0,
  locked_until  timestamptz,
  status        text not null default 'active' check (status in ('active', 'disabled')),
  created_at    timestamptz not null,
  created_by    uuid
);

create table identity_operator_sessions (
  id            uuid primary key,
  operator_id   uuid not null references identity_operators (id),
  token_hash    bytea not null unique,
  created_at    timestamptz not null,
  last_seen_at  timestamptz not null,
  expires_at    timestamptz not null,
  revoked_at    timestamptz,
  source_ip     text
);

-- Notify: the development mailbox (email and SMS delivered nowhere but here) -------------

create table notify_dev_mailbox (
  id         bigserial primary key,
  channel    text not null check (channel in ('email', 'sms')),
  address    text not null,
  subject    text not null,
  body       text not null,
  created_at timestamptz not null
);
create index notify_dev_mailbox_address on notify_dev_mailbox (address, id);

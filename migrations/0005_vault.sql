-- 0005_vault: the card vault, its hosted card fields, and the card network (acquirer) records.
--
-- What is never here: a security code (CVV/CVC). No column of any table can hold one; it is
-- passed in memory to the card network and dropped (PCI DSS 3.3.1.2). A card number exists
-- only as AES-256-GCM ciphertext under a per-card data key, itself wrapped by a key-encryption
-- key (KEK) that lives outside the database.

create table vault_cards (
  token          text primary key check (token ~ '^card_[A-Za-z0-9_-]{22,64}$'),
  merchant_id    text check (merchant_id is null or length(merchant_id) between 1 and 100),
  customer_id    text check (customer_id is null or length(customer_id) between 1 and 100),
  brand          text not null check (brand in
                   ('visa', 'mastercard', 'jcb', 'amex', 'diners', 'discover', 'unionpay')),
  -- Display data, PCI DSS 3.4.1: at most the first six and last four digits.
  bin            text not null check (bin ~ '^[0-9]{6}$'),
  last4          text not null check (last4 ~ '^[0-9]{4}$'),
  -- HMAC-SHA256 under the fingerprint key: the same card across customers, never a plain hash.
  fingerprint    bytea not null check (length(fingerprint) = 32),
  -- iv (12) || AES-256-GCM ciphertext || tag (16), the token bound in as associated data.
  ciphertext     bytea check (ciphertext is null or length(ciphertext) between 29 and 512),
  -- The data key wrapped by KEK version kek_version; destroyed on deletion (crypto-shredding).
  wrapped_key    bytea check (wrapped_key is null or length(wrapped_key) between 40 and 1024),
  kek_version    int check (kek_version is null or kek_version > 0),
  created_at     timestamptz not null,
  deleted_at     timestamptz,
  check ((deleted_at is null) = (wrapped_key is not null and ciphertext is not null
                                 and kek_version is not null))
);
create index vault_cards_fingerprint on vault_cards (fingerprint) where deleted_at is null;
create index vault_cards_customer on vault_cards (customer_id) where deleted_at is null;
create index vault_cards_kek_version on vault_cards (kek_version) where deleted_at is null;

-- The minimal merchant registry hosted fields need until the merchants module lands:
-- publishable key, the origins allowed to embed the fields, and whether the merchant may send
-- card data server-to-server (PCI DSS SAQ D merchants only). Secret keys only as SHA-256.
create table vault_merchant_registry (
  merchant_id       text primary key check (length(merchant_id) between 1 and 100),
  publishable_key   text not null unique check (publishable_key ~ '^pk_[A-Za-z0-9_-]{16,64}$'),
  secret_key_sha256 bytea not null unique check (length(secret_key_sha256) = 32),
  allowed_origins   text[] not null check (cardinality(allowed_origins) between 1 and 20),
  card_data_capable boolean not null default false,
  created_at        timestamptz not null
);

-- One hosted card-fields page load: a per-session key (stored as SHA-256) that only that page
-- holds, the merchant origin it reports to, and what became of the card entered in it.
create table vault_hosted_sessions (
  id               text primary key check (id ~ '^hs_[A-Za-z0-9_-]{16,64}$'),
  -- The merchant by id only: the merchants module owns merchants (or, standing in for it,
  -- vault_merchant_registry), so no foreign key crosses the module boundary.
  merchant_id      text not null,
  parent_origin    text not null check (parent_origin ~ '^https?://[^/?#]+$'),
  key_sha256       bytea not null unique check (length(key_sha256) = 32),
  status           text not null check (status in
                     ('open', 'requires_action', 'succeeded', 'failed', 'expired')),
  card_token       text references vault_cards (token),
  authorization_id text,
  tokenize_attempts int not null default 0 check (tokenize_attempts >= 0),
  created_at       timestamptz not null,
  expires_at       timestamptz not null check (expires_at > created_at)
);

-- Content-Security-Policy violation reports from payment pages (hosted fields, 3-D Secure).
create table vault_csp_reports (
  id                 bigserial primary key,
  received_at        timestamptz not null,
  document_path      text not null check (length(document_path) <= 300),
  effective_directive text not null check (length(effective_directive) <= 100),
  blocked_uri        text not null check (length(blocked_uri) <= 300),
  disposition        text not null check (disposition in ('enforce', 'report')),
  source_file        text check (length(source_file) <= 300),
  line_number        int,
  sample             text check (length(sample) <= 100)
);
create index vault_csp_reports_received on vault_csp_reports (received_at);

-- Card network records. An authorization is one attempt to hold money on a card (or, for
-- amount 0, to verify it); the caller's idempotency key makes a retry return the same one.
create table acquirer_authorizations (
  id               text primary key check (id ~ '^authz_[A-Za-z0-9_-]{16,64}$'),
  idempotency_key  text not null unique check (length(idempotency_key) between 1 and 200),
  request_digest   bytea not null check (length(request_digest) = 32),
  attempt_id       text not null check (length(attempt_id) between 1 and 200),
  card_token       text not null check (card_token ~ '^card_'),
  amount_minor     bigint not null check (amount_minor >= 0),
  currency         text not null check (currency ~ '^[A-Z]{3}$'),
  status           text not null check (status in ('pending', 'requires_challenge',
                     'authorized', 'declined', 'failed', 'challenge_failed',
                     'challenge_expired', 'captured', 'voided', 'refunded')),
  three_ds         text check (three_ds in ('frictionless', 'challenge')),
  decline_code     text check (decline_code ~ '^[a-z_]{1,50}$'),
  network_ref      text check (length(network_ref) <= 100),
  captured_minor   bigint not null default 0 check (captured_minor >= 0),
  refunded_minor   bigint not null default 0 check (refunded_minor >= 0),
  created_at       timestamptz not null,
  updated_at       timestamptz not null,
  check (captured_minor <= amount_minor and refunded_minor <= captured_minor)
);
create index acquirer_authorizations_attempt on acquirer_authorizations (attempt_id);

-- A 3-D Secure challenge: the one-time code is checked by the card network (its ACS), never
-- stored here. The id is a 128-bit capability; the challenge page posts to it.
create table acquirer_challenges (
  id               text primary key check (id ~ '^3dsc_[A-Za-z0-9_-]{20,64}$'),
  authorization_id text not null unique references acquirer_authorizations (id),
  status           text not null check (status in ('pending', 'authenticated', 'failed', 'expired')),
  attempts         int not null default 0 check (attempts >= 0),
  notify_origin    text not null check (notify_origin ~ '^https?://[^/?#]+$'),
  frame_origins    text[] not null check (cardinality(frame_origins) between 0 and 20),
  created_at       timestamptz not null,
  expires_at       timestamptz not null check (expires_at > created_at),
  finished_at      timestamptz
);
create index acquirer_challenges_pending on acquirer_challenges (expires_at) where status = 'pending';

-- Captures, voids and refunds against an authorization, each under its own idempotency key.
create table acquirer_operations (
  id               text primary key check (id ~ '^acqop_[A-Za-z0-9_-]{16,64}$'),
  idempotency_key  text not null unique check (length(idempotency_key) between 1 and 200),
  authorization_id text not null references acquirer_authorizations (id),
  kind             text not null check (kind in ('capture', 'void', 'refund')),
  amount_minor     bigint not null check (amount_minor >= 0),
  status           text not null check (status in ('pending', 'succeeded', 'failed')),
  network_ref      text check (length(network_ref) <= 100),
  failure_code     text check (failure_code ~ '^[a-z_]{1,50}$'),
  created_at       timestamptz not null,
  updated_at       timestamptz not null
);
create index acquirer_operations_authorization on acquirer_operations (authorization_id);

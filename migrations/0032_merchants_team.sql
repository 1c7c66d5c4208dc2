-- 0032_merchants_team: merchant people (the dashboard's accounts), their sessions, recovery
-- codes and invitations.
--
-- A person belongs to one merchant with one role. Every person has a password and a TOTP
-- secret from the moment the account exists: an invitation becomes a person only when its
-- password is set and its authenticator confirmed, so no account without a second factor
-- ever exists. TOTP secrets are sealed (AES-256-GCM, bound to the person's id) under the
-- identity secrets key, as operators' are; passwords are argon2id; session tokens, recovery
-- codes and invitation tokens are kept only as SHA-256 (256, 80 and 256 random bits).

create table merchants_people (
  id              uuid primary key,
  merchant_id     text not null references merchants_merchants (id),
  email           text not null check (length(email) between 3 and 254),
  role            text not null
    check (role in ('owner', 'admin', 'developer', 'analyst', 'store_manager')),
  -- The stores a store manager may refund at; empty for every other role.
  store_ids       text[] not null default '{}',
  password_hash   text not null,
  totp_secret_box bytea not null,
  -- The last TOTP step accepted: a code is never accepted twice.
  totp_last_step  bigint,
  -- Consecutive failed sign-ins; at the limit the account locks (PCI DSS 4.0 8.3.4).
  failures        int not null default 0,
  locked_until    timestamptz,
  status          text not null default 'active' check (status in ('active', 'removed')),
  created_at      timestamptz not null,
  -- Who invited the person (a person id); null when `kinko merchants create` did.
  invited_by      uuid,
  removed_at      timestamptz,
  removed_by      uuid,
  check ((role = 'store_manager') = (cardinality(store_ids) > 0)),
  check ((status = 'removed') = (removed_at is not null))
);
-- One active account per email address: sign-in names a person by email alone.
create unique index merchants_people_email on merchants_people (email) where status = 'active';
create unique index merchants_people_one_owner on merchants_people (merchant_id)
  where role = 'owner' and status = 'active';
create index merchants_people_merchant on merchants_people (merchant_id, created_at);

create table merchants_person_recovery_codes (
  person_id uuid not null references merchants_people (id),
  code_hash bytea not null check (length(code_hash) = 32),
  used_at   timestamptz,
  primary key (person_id, code_hash)
);

create table merchants_person_sessions (
  id             uuid primary key,
  person_id      uuid not null references merchants_people (id),
  token_hash     bytea not null unique check (length(token_hash) = 32),
  created_at     timestamptz not null,
  last_seen_at   timestamptz not null,
  expires_at     timestamptz not null,
  revoked_at     timestamptz,
  revoked_reason text,
  source_ip      text
);
create index merchants_person_sessions_live on merchants_person_sessions (person_id)
  where revoked_at is null;

create table merchants_invitations (
  id                    text primary key check (id ~ '^inv_[A-Za-z0-9_-]{16,64}$'),
  merchant_id           text not null references merchants_merchants (id),
  email                 text not null check (length(email) between 3 and 254),
  role                  text not null
    check (role in ('owner', 'admin', 'developer', 'analyst', 'store_manager')),
  store_ids             text[] not null default '{}',
  token_hash            bytea not null unique check (length(token_hash) = 32),
  -- The id the person will have: the pending TOTP secret is sealed to it.
  person_id             uuid not null unique,
  -- Set by the first step of acceptance (password chosen, authenticator shown), used by the
  -- second (a code from that authenticator), which creates the person.
  pending_password_hash text,
  pending_totp_box      bytea,
  invited_by            uuid,
  created_at            timestamptz not null,
  expires_at            timestamptz not null,
  accepted_at           timestamptz,
  revoked_at            timestamptz,
  check ((role = 'store_manager') = (cardinality(store_ids) > 0))
);
create index merchants_invitations_merchant on merchants_invitations (merchant_id, created_at);

-- Merchant people sign in under throttles of their own realm (`merchant:<network>`), and a
-- blocked merchant-realm network raises a stuffing detection like the other realms.
alter table identity_stuffing_detections drop constraint identity_stuffing_detections_realm_check;
alter table identity_stuffing_detections
  add constraint identity_stuffing_detections_realm_check
  check (realm in ('customer', 'operator', 'merchant'));

-- 0044_merchant_people_passkeys: a merchant person's second factor may be a passkey
-- (WebAuthn) instead of a TOTP code. The TOTP secret stays (0032: no account exists without
-- one); a passkey is added by a signed-in person who also gives a current TOTP code, and is
-- verified by identity's ceremonies through the sign-in kit. Challenges are used once:
-- register challenges are bound to the person; sign-in challenges to no one (the browser
-- offers any of its Kinko passkeys, so the options never tell whether an email has one),
-- and the passkey used must belong to the person whose password was right.

create table merchants_person_passkeys (
  credential_id text primary key check (length(credential_id) between 1 and 1024),
  person_id     uuid not null references merchants_people (id),
  public_key    bytea not null,
  counter       bigint not null check (counter >= 0),
  transports    text[] not null default '{}',
  name          text not null check (length(name) between 1 and 64),
  created_at    timestamptz not null,
  last_used_at  timestamptz
);
create index merchants_person_passkeys_person on merchants_person_passkeys (person_id);

create table merchants_person_webauthn_challenges (
  challenge  text primary key check (length(challenge) between 16 and 128),
  person_id  uuid references merchants_people (id),
  purpose    text not null check (purpose in ('register', 'login')),
  expires_at timestamptz not null,
  used_at    timestamptz,
  check ((purpose = 'register') = (person_id is not null))
);
create index merchants_person_webauthn_challenges_expiry
  on merchants_person_webauthn_challenges (expires_at);

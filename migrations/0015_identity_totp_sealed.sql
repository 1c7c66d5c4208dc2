-- TOTP secrets sealed at rest.
--
-- A TOTP secret is the second factor itself: whoever reads it can make every future code.
-- Kinko must be able to compute codes, so a hash would not do; the secrets are sealed with
-- AES-256-GCM under the identity secrets key, a key file outside the database (as the
-- webhook secrets key), with the owner (customer or operator id) as associated data, so a
-- database copy yields no usable secret and a sealed secret moved to another row does not
-- open. `secret_box` holds version (1 byte) || nonce (12) || ciphertext || tag (16).
--
-- Rows written before this migration still hold the secret in clear. Start-up seals them
-- (identity/sealed.ts, sealLegacyTotpSecrets) before anything reads them; readers accept
-- only a sealed secret, so a secret written in clear into the table is never used.

alter table identity_totp alter column secret drop not null;
alter table identity_totp add column secret_box bytea;
alter table identity_totp add constraint identity_totp_secret_once
  check ((secret is null) <> (secret_box is null));

alter table identity_operators alter column totp_secret drop not null;
alter table identity_operators add column totp_secret_box bytea;
alter table identity_operators add constraint identity_operators_totp_secret_once
  check ((totp_secret is null) <> (totp_secret_box is null));

-- Start-up looks for secrets still in clear on every start: these indexes hold only those
-- rows, so the look is instant once they are sealed, however many customers there are.
create index identity_totp_clear on identity_totp (customer_id) where secret is not null;
create index identity_operators_totp_clear on identity_operators (id)
  where totp_secret is not null;

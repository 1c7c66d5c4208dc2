-- 0040_vault_card_exports: the one way full card numbers leave the vault — an export of an
-- incident's affected cards for the card companies. One security operator requests it for the
-- incident's latest scope run (the recipient's age public key, the reason); a different one
-- approves it, and only then are the numbers decrypted in memory, written as CSV, encrypted to
-- the recipient and stored here as ciphertext only, which Kinko itself cannot read. The file
-- is offered for download a limited number of times until it expires.
--
-- The rules that make it dual control hold in the database, not only in the code: the approver
-- is never the requester, there is no ciphertext without an approval, downloads only count up
-- to their maximum, and what was requested never changes afterwards.

create table vault_card_exports (
  id              text primary key check (id ~ '^cexp_[A-Za-z0-9_-]{16,64}$'),
  incident_id     text not null check (length(incident_id) between 1 and 64),
  scope_id        text not null check (length(scope_id) between 1 and 80),
  -- An age recipient (X25519 `age1…`, or a post-quantum hybrid one): a public key.
  recipient       text not null check (recipient ~ '^age1[0-9a-z]+$'
                    and length(recipient) between 50 and 4000),
  reason          text not null check (length(reason) between 3 and 500),
  cards_requested int not null check (cards_requested >= 1),
  requested_by    text not null check (length(requested_by) between 1 and 200),
  requested_at    timestamptz not null,
  approved_by     text check (length(approved_by) between 1 and 200),
  approved_at     timestamptz,
  -- Cards the file holds: fewer than requested when a card was deleted (crypto-shredded).
  cards_exported  int check (cards_exported >= 0),
  ciphertext      bytea,
  ciphertext_sha256 bytea check (length(ciphertext_sha256) = 32),
  downloads       int not null default 0,
  downloads_max   int not null check (downloads_max between 1 and 10),
  expires_at      timestamptz not null check (expires_at > requested_at),
  -- Two operators, always.
  check (approved_by is null or approved_by <> requested_by),
  check ((approved_by is null) = (approved_at is null)),
  check ((approved_by is null) = (cards_exported is null)),
  check ((ciphertext is null) = (ciphertext_sha256 is null)),
  check (ciphertext is null or approved_by is not null),
  check (downloads between 0 and downloads_max),
  check (downloads = 0 or approved_by is not null)
);
create index vault_card_exports_incident on vault_card_exports (incident_id, requested_at);

-- What was requested is what is approved: the request's fields never change, an approval is
-- given once, downloads only count up, and the ciphertext, once written, can only be dropped
-- (when the export is used up or expired), never replaced.
create function vault_card_exports_guard() returns trigger language plpgsql as $$
begin
  if tg_op = 'DELETE' then
    raise exception 'card exports are kept; % cannot be deleted', old.id;
  end if;
  if (new.id, new.incident_id, new.scope_id, new.recipient, new.reason, new.cards_requested,
      new.requested_by, new.requested_at, new.downloads_max, new.expires_at)
     is distinct from
     (old.id, old.incident_id, old.scope_id, old.recipient, old.reason, old.cards_requested,
      old.requested_by, old.requested_at, old.downloads_max, old.expires_at) then
    raise exception 'card export % was requested as it is; the request cannot change', old.id;
  end if;
  if old.approved_by is not null and (new.approved_by, new.approved_at, new.cards_exported)
      is distinct from (old.approved_by, old.approved_at, old.cards_exported) then
    raise exception 'card export % is approved once', old.id;
  end if;
  if new.downloads < old.downloads then
    raise exception 'card export % downloads only count up', old.id;
  end if;
  if old.ciphertext is not null and new.ciphertext is not null
      and new.ciphertext is distinct from old.ciphertext then
    raise exception 'card export % ciphertext cannot be replaced', old.id;
  end if;
  if old.ciphertext is null and old.approved_by is not null and new.ciphertext is not null then
    raise exception 'card export % ciphertext was dropped; it does not come back', old.id;
  end if;
  return new;
end $$;
create trigger vault_card_exports_guard before update or delete on vault_card_exports
  for each row execute function vault_card_exports_guard();

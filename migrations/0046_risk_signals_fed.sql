-- 0046_risk_signals_fed: two risk signals that read `0` or `unknown` until now get their data.
-- - identity_sessions.source_prefix: the network (IPv4 /24, IPv6 /64, as identity's throttles
--   name it) a session was signed in from, so identity can tell the risk engine how many
--   accounts signed in from a network in the last day (source_accounts_1d). Indexed by network
--   and time with the customer included, so the count is one index-only range read, and
--   bounded: it looks at the network's latest sign-ins only (identity/store.ts). Sessions
--   from before this migration have no network and are not counted (they age out in a day).
-- - risk_card_ranges: card number prefix ranges (the first six digits, the BIN the vault
--   keeps) with the issuer's country, the funding (credit, debit, prepaid) and the brand, as
--   `kinko risk bin-table load FILE` reads them from a CSV file (docs/risk.md); the whole
--   table is replaced by one load. Empty until loaded: every card's country and funding
--   read `unknown`.
alter table identity_sessions add column source_prefix text;
create index identity_sessions_source on identity_sessions (source_prefix, created_at)
  include (customer_id) where source_prefix is not null;

create table risk_card_ranges (
  bin_low    text not null check (bin_low ~ '^[0-9]{6}$'),
  bin_high   text not null check (bin_high ~ '^[0-9]{6}$'),
  country    text not null check (country ~ '^([A-Z]{2}|unknown)$'),
  funding    text not null check (funding in ('credit', 'debit', 'prepaid', 'unknown')),
  brand      text not null,
  loaded_at  timestamptz not null,
  primary key (bin_low),
  check (bin_low <= bin_high)
);

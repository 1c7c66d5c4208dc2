-- 0034_incidents_scope: what an incident touched. A scope run takes indicators (a time window
-- and any of: source networks, devices, sessions, customers, card fingerprints, BINs and
-- brands, merchants, stores, terminals) and saves every sign-in, top-up and payment they reach
-- as an item of the run, with the card's brand, BIN, last four and keyed fingerprint (never a
-- card number) and the yen. Customers, cards and merchants affected are aggregates of the
-- items. A run is never changed: running again as the indicators grow saves a new run, and
-- the incident's timeline says who ran which.

create table incidents_scopes (
  id            text primary key check (id ~ '^scope_[A-Za-z0-9_-]{16,64}$'),
  incident_id   text not null references incidents_records (id),
  run           int not null check (run >= 1),
  indicators    jsonb not null check (jsonb_typeof(indicators) = 'object'),
  totals        jsonb not null check (jsonb_typeof(totals) = 'object'),
  ran_at        timestamptz not null,
  ran_by        text check (length(ran_by) between 1 and 200),
  elapsed_ms    int not null check (elapsed_ms >= 0),
  unique (incident_id, run)
);

create table incidents_scope_items (
  -- Deferred: a run writes its items first and its row, with their totals, last.
  scope_id      text not null references incidents_scopes (id) deferrable initially deferred,
  kind          text not null check (kind in ('sign_in', 'topup', 'payment', 'web_payment')),
  item_id       text not null,
  at            timestamptz not null,
  customer_id   text,
  device_id     text,
  source_ip     text,
  merchant_id   text,
  store_id      text,
  terminal_id   text,
  card_brand    text,
  card_bin      text check (card_bin ~ '^[0-9]{6}$'),
  card_last4    text check (card_last4 ~ '^[0-9]{4}$'),
  card_fingerprint text check (card_fingerprint ~ '^[0-9a-f]{64}$'),
  amount_minor  bigint check (amount_minor >= 0),
  currency      text check (currency ~ '^[A-Z]{3}$'),
  primary key (scope_id, kind, item_id)
);
create index incidents_scope_items_customer on incidents_scope_items (scope_id, customer_id);

-- A saved run is evidence: neither it nor its items change or go away.
create function incidents_scope_append_only() returns trigger language plpgsql as $$
begin
  raise exception '% is append-only (% refused)', tg_table_name, tg_op;
end $$;
create trigger incidents_scopes_append_only before update or delete or truncate
  on incidents_scopes for each statement execute function incidents_scope_append_only();
create trigger incidents_scope_items_append_only before update or delete or truncate
  on incidents_scope_items for each statement execute function incidents_scope_append_only();

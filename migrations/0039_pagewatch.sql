-- 0039_pagewatch: the payment-page integrity monitor (PCI DSS v4.0.1 requirement 11.6.1).
-- Merchants register their checkout pages; Kinko's own payment pages (hosted card fields,
-- the 3-D Secure challenge) are watched always. A worker loads each page in Chromium on a
-- schedule and records what the browser received and ran (an observation); a page's approved
-- inventory is the observation a merchant (or, for Kinko's pages, an operator) approved, and
-- any later difference is an alert. The script hashes seen on each page, with the window they
-- were served in, are what an incident's scope reads for its "script hashes" indicator.

create table pagewatch_pages (
  id              text primary key check (id ~ '^page_[A-Za-z0-9_-]{16,64}$'),
  -- Null for Kinko's own pages; a merchant's id (merchants_merchants) otherwise.
  merchant_id     text check (length(merchant_id) between 1 and 64),
  kind            text not null check (kind in ('checkout', 'hosted_fields', 'challenge')),
  url             text not null check (length(url) between 1 and 2048),
  label           text check (length(label) between 1 and 200),
  status          text not null check (status in ('active', 'removed')),
  created_at      timestamptz not null,
  removed_at      timestamptz,
  -- The approved inventory (null until the first approval) and who approved it.
  approved_observation_id text,
  approved_at     timestamptz,
  -- The schedule and the lease: a process takes a due page by moving next_check_at forward
  -- and holding lease_until, so two processes never load the same page in one cycle.
  next_check_at   timestamptz not null,
  lease_holder    text,
  lease_until     timestamptz,
  check ((merchant_id is null) = (kind <> 'checkout')),
  check ((status = 'removed') = (removed_at is not null))
);
create unique index pagewatch_pages_url on pagewatch_pages (coalesce(merchant_id, ''), url)
  where status = 'active';
create index pagewatch_pages_due on pagewatch_pages (next_check_at) where status = 'active';
create index pagewatch_pages_merchant on pagewatch_pages (merchant_id, created_at);

-- One load of one page: what the browser received and ran, or why it could not load.
-- Insert-only: an observation is evidence.
create table pagewatch_observations (
  id              text primary key check (id ~ '^pgobs_[A-Za-z0-9_-]{16,64}$'),
  -- The order observations were stored in: "newest" means this, not a clock that may repeat.
  seq             bigint generated always as identity unique,
  page_id         text not null references pagewatch_pages (id),
  observed_at     timestamptz not null,
  outcome         text not null check (outcome in ('loaded', 'failed')),
  failure         text check (length(failure) <= 500),
  -- {scripts: [{url, sha256, inline}], headers: {name: value}, frames: [...],
  --  form_actions: [...]}, sorted, so equal inventories are equal bytes.
  inventory       jsonb check (jsonb_typeof(inventory) = 'object'),
  inventory_hash  bytea check (length(inventory_hash) = 32),
  -- Compared with the page's approved inventory when observed: the difference, if any.
  difference      jsonb check (jsonb_typeof(difference) = 'object'),
  incident_id     text,
  check ((outcome = 'loaded') = (inventory is not null and inventory_hash is not null))
);
create index pagewatch_observations_page on pagewatch_observations (page_id, seq desc);
create index pagewatch_observations_alerts on pagewatch_observations (seq desc)
  where incident_id is not null;

alter table pagewatch_pages add foreign key (approved_observation_id)
  references pagewatch_observations (id);

-- Approvals of a page's inventory, kept for ever (the audit chain has them too).
create table pagewatch_approvals (
  id              bigint generated always as identity primary key,
  page_id         text not null references pagewatch_pages (id),
  observation_id  text not null references pagewatch_observations (id),
  approved_at     timestamptz not null,
  actor_type      text not null check (actor_type in ('merchant', 'merchant_person', 'api_key',
                    'operator', 'cli')),
  actor_id        text,
  reason          text check (length(reason) between 1 and 500)
);
create index pagewatch_approvals_page on pagewatch_approvals (page_id, id desc);

-- Every script a page ran, by SHA-256 of its body (inline scripts: of their text), with the
-- window it was served in: first and last seen, and the observations either side that did
-- not have it (null when unknown: the first observation, or still served). A script that
-- goes and comes back starts a new row.
create table pagewatch_scripts (
  id              bigint generated always as identity primary key,
  page_id         text not null references pagewatch_pages (id),
  sha256          bytea not null check (length(sha256) = 32),
  -- '' for an inline (or evaluated) script.
  url             text not null check (length(url) <= 2048),
  first_seen_at   timestamptz not null,
  last_seen_at    timestamptz not null,
  absent_before_at timestamptz,
  absent_after_at timestamptz,
  last_observation_id text not null references pagewatch_observations (id),
  check (last_seen_at >= first_seen_at)
);
create index pagewatch_scripts_hash on pagewatch_scripts (sha256);
create index pagewatch_scripts_page on pagewatch_scripts (page_id, last_observation_id);

create function pagewatch_append_only() returns trigger language plpgsql as $$
begin
  raise exception '% is append-only (% refused)', tg_table_name, tg_op;
end $$;
create trigger pagewatch_observations_append_only before update or delete or truncate
  on pagewatch_observations for each statement execute function pagewatch_append_only();
create trigger pagewatch_approvals_append_only before update or delete or truncate
  on pagewatch_approvals for each statement execute function pagewatch_append_only();

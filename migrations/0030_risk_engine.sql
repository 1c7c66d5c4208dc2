-- 0030_risk_engine: the risk engine's rules as data, its decisions, its velocity counters and
-- its review queue.
--
-- Rule sets are versioned: a version is drafted, may run in shadow (decided and recorded
-- beside the live version, never enforced), and becomes live only when an operator other than
-- the one who asked for the promotion approves it. At most one version is live and at most
-- one runs in shadow. The default rule set is inserted as version 1 at start when the table
-- is empty (risk/rulesets.ts), so the rules that ship are the rules in the code's history.
create table risk_rule_sets (
  version                 int primary key check (version > 0),
  status                  text not null check (status in ('draft', 'shadow', 'live', 'retired')),
  rules                   jsonb not null,
  note                    text not null default '',
  created_by              text not null,
  created_at              timestamptz not null,
  promotion_requested_by  text,
  promotion_requested_at  timestamptz,
  approved_by             text,
  live_at                 timestamptz,
  retired_at              timestamptz,
  check (approved_by is null or approved_by <> promotion_requested_by)
);
create unique index risk_rule_sets_one_live on risk_rule_sets ((true)) where status = 'live';
create unique index risk_rule_sets_one_shadow on risk_rule_sets ((true)) where status = 'shadow';

-- Every decision the engine takes on a money path: which version decided, which rules fired,
-- the deciding rule's reason code, and what the shadow version (if any) would have decided.
-- Signals are kept for decisions that were not a plain allow (and for shadow disagreements),
-- which is what a reviewer needs; an allow with nothing fired keeps none.
create table risk_decisions (
  id                  uuid primary key,
  decided_at          timestamptz not null,
  kind                text not null,
  customer_id         uuid,
  subject_id          text,
  amount_minor        bigint not null default 0,
  decision            text not null check (decision in ('allow', 'step_up', 'review', 'block')),
  reason              text,
  version             int not null,
  rules_fired         text[] not null default '{}',
  shadow_version      int,
  shadow_decision     text check (shadow_decision in ('allow', 'step_up', 'review', 'block')),
  shadow_rules_fired  text[],
  signals             jsonb
);
create index risk_decisions_decided on risk_decisions (decided_at);
create index risk_decisions_customer on risk_decisions (customer_id, decided_at desc);

-- Velocity counters: count and amount per (key, bucket), summed at read over the buckets of a
-- window. Three resolutions (10 s buckets for the minute window, 1 min for the hour, 1 h for
-- the day), and each bucket split into shards chosen by the paying customer, so customers
-- paying at one busy store or terminal do not queue on one row. Written in the transaction
-- of the money movement they count; rows older than the longest window are pruned.
create table risk_velocity (
  key                 text not null,
  resolution_seconds  int not null check (resolution_seconds in (10, 60, 3600)),
  bucket_start        timestamptz not null,
  shard               smallint not null check (shard >= 0),
  count               int not null,
  amount_minor        bigint not null,
  primary key (key, resolution_seconds, bucket_start, shard)
);
create index risk_velocity_bucket on risk_velocity (bucket_start);

-- The review queue: top-ups held by a `review` decision before any money moved. Approve runs
-- the top-up (card charge, then the credit, both keyed by the top-up id: money moves once);
-- decline fails it and tells the customer.
create table risk_reviews (
  id            text primary key check (id ~ '^rv_[A-Za-z0-9_-]{16,64}$'),
  kind          text not null,
  subject_id    text not null unique,
  customer_id   uuid not null,
  amount_minor  bigint not null,
  currency      text not null,
  decision_id   uuid not null,
  status        text not null check (status in ('open', 'approved', 'declined')),
  created_at    timestamptz not null,
  decided_by    text,
  decided_at    timestamptz,
  note          text
);
create index risk_reviews_open on risk_reviews (created_at) where status = 'open';
create index risk_reviews_customer on risk_reviews (customer_id, created_at desc);

-- A top-up held for review has not charged the card yet.
alter table payments_topups drop constraint payments_topups_status_check;
alter table payments_topups add constraint payments_topups_status_check check (status in
  ('processing', 'requires_action', 'held', 'succeeded', 'failed'));

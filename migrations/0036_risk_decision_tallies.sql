-- 0036_risk_decision_tallies: a plain allow (nothing fired, the shadow version agreeing) is
-- most of the risk engine's decisions, and a risk_decisions row each cost more CPU per
-- register payment than the rules themselves. Such decisions are now only counted, per
-- minute, kind, live version and shadow version; risk_decisions keeps every other decision
-- with its rules fired and signals. (Velocity, 0030: a customer's, device's or card's
-- counters keep minute buckets only; sources, stores and terminals minute and hour buckets;
-- the 10-second resolution is not used.)
create table risk_decision_tallies (
  minute          timestamptz not null,
  kind            text not null,
  version         int not null,
  shadow_version  int not null default 0,
  count           bigint not null check (count > 0),
  primary key (minute, kind, version, shadow_version)
);

-- 0050_risk_tally_shards: every plain allow of a minute added to the same tally row (0036),
-- and that row's lock was held to COMMIT, so concurrent top-ups and web payments queued on
-- it (3-35 ms per flow at 16 callers). A tally is now spread over shards: each transaction
-- adds to a shard no other open transaction holds (risk/store.ts addTallies), and readers
-- sum across them.
alter table risk_decision_tallies
  add column shard smallint not null default 0 check (shard >= 0 and shard < 64);
alter table risk_decision_tallies
  drop constraint risk_decision_tallies_pkey,
  add primary key (minute, kind, version, shadow_version, shard);

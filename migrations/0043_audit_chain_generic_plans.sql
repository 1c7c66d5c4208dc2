-- 0043_audit_chain_generic_plans: audit_chain() plans its statements once per session.
--
-- PL/pgSQL caches each statement's plan, but under the default plan_cache_mode (auto) the
-- statements of audit_chain() kept getting custom plans: their parameters (entries_max,
-- the id and hash arrays) make the generic plan look dearer than a custom one, so every
-- run planned them again. pg_stat_statements at 16 concurrent one-transfer callers: the
-- read of unchained entries 394 µs of planning per run, the chaining UPDATE 134 µs — more
-- than half of each run's execution. Their generic plans are the ones the custom plans
-- chose anyway (the partial index of unchained entries, the primary key for the UPDATE),
-- at any size, so the function runs with generic plans only.

alter function audit_chain(integer, boolean) set plan_cache_mode = force_generic_plan;

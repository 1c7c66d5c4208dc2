-- 0038_job_runs: a periodic job that looks at a shared window (CSP reports of the last
-- minute, fraud decisions of the last hour) runs once per window across every process of the
-- deployment, not once per process. The process whose INSERT lands runs it; the others see
-- the row and skip. Rows older than a day are pruned by the claims themselves.
create table job_runs (
  job           text not null check (job ~ '^[a-z][a-z0-9_.-]{0,63}$'),
  window_start  timestamptz not null,
  claimed_by    text not null,
  claimed_at    timestamptz not null,
  primary key (job, window_start)
);
create index job_runs_claimed_at on job_runs (claimed_at);

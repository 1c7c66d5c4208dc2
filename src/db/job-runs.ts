import type { Sql } from './sql.ts';

// Periodic jobs over a shared window run once per window across the deployment. Each process
// keeps its own timer; at a tick it claims the window (the interval's multiple the tick falls
// in) by inserting a row, and only the process whose insert landed runs the job. A process
// that died mid-run leaves its window claimed: the next window covers what follows, which is
// what a once-per-window detector wants (at worst one window goes unchecked, never two runs).

/** Claimed windows older than this are deleted by later claims. */
const JOB_RUNS_KEEP_SECONDS = 86_400;

/** The start of the window of `intervalSeconds` that `at` falls in. */
function jobWindowStart(at: Date, intervalSeconds: number): Date {
  const ms = intervalSeconds * 1000;
  return new Date(Math.floor(at.getTime() / ms) * ms);
}

/**
 * Claims `job`'s window at `at` for `claimedBy`; true when this caller got it (and so runs the
 * job), false when another process already had it.
 */
export async function claimJobWindow(
  sql: Sql,
  q: { job: string; at: Date; intervalSeconds: number; claimedBy: string },
): Promise<boolean> {
  const windowStart = jobWindowStart(q.at, q.intervalSeconds);
  const keepFrom = new Date(q.at.getTime() - JOB_RUNS_KEEP_SECONDS * 1000);
  const rows = await sql<Array<{ claimed: boolean }>>`
    with pruned as (
      delete from job_runs where job = ${q.job} and claimed_at < ${keepFrom}
    ), claimed as (
      insert into job_runs (job, window_start, claimed_by, claimed_at)
      values (${q.job}, ${windowStart}, ${q.claimedBy}, ${q.at})
      on conflict (job, window_start) do nothing
      returning true as claimed
    )
    select coalesce((select claimed from claimed), false) as claimed`;
  return rows[0]?.claimed === true;
}

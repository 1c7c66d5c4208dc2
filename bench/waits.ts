import { fork } from 'node:child_process';
import { monitorEventLoopDelay, performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import postgres from 'postgres';

// Where the callers of a run wait (BENCH_WAITS): a process of its own samples the server's
// backends (pg_stat_activity) every few milliseconds and sorts each backend of the platform
// into what it was doing: running, waiting on a lock (and whether the lock's holder was
// itself waiting for Node, idle in its transaction), flushing WAL, or idle in a transaction,
// waiting for Node. Beside it, the server's event-loop delay over the same run: how long an
// answer from PostgreSQL waited before Node could read it. Printed on stderr per run.

const CHILD_FLAG = '--bench-waits';
const SAMPLE_MS = 3;

export const WAITS = Boolean(process.env['BENCH_WAITS']);

export interface Waits {
  /** Stops sampling and prints what the samples saw, per run. */
  stop(what: string): Promise<void>;
}

interface Sample {
  state: string | null;
  wait_event_type: string | null;
  wait_event: string | null;
  query: string;
  blocker_state: string | null;
  blocker_query: string | null;
}

/** Starts sampling `databaseUrl`'s database, as the superuser; a no-op unless BENCH_WAITS. */
export function startWaits(superuserUrl: string, databaseUrl: string): Waits {
  if (!WAITS) return { stop: async () => {} };
  const delay = monitorEventLoopDelay({ resolution: 1 });
  delay.enable();
  const busy0 = performance.eventLoopUtilization();
  const child = fork(fileURLToPath(import.meta.url), [CHILD_FLAG], {
    execArgv: ['--import', 'tsx'],
  });
  const database = new URL(databaseUrl).pathname.slice(1);
  child.send({ superuserUrl, database });
  return {
    stop: async (what) => {
      delay.disable();
      const busy = performance.eventLoopUtilization(busy0).utilization;
      const lines = await new Promise<string[]>((resolve) => {
        child.once('message', (m) => resolve(m as string[]));
        child.send('stop');
      });
      const ms = (ns: number) => (ns / 1e6).toFixed(1);
      process.stderr.write(
        `waits, ${what}: event loop busy ${(100 * busy).toFixed(0)} %, delay p50 ${ms(delay.percentile(50))} ms, ` +
          `p99 ${ms(delay.percentile(99))} ms, max ${ms(delay.max)} ms; backends sampled ` +
          `every ${SAMPLE_MS} ms (mean backends per sample, what they did):\n` +
          `${lines.join('\n')}\n`,
      );
    },
  };
}

async function sampleUntilStopped(superuserUrl: string, database: string): Promise<string[]> {
  const u = new URL(superuserUrl);
  u.pathname = `/${database}`;
  const sql = postgres(u.toString(), { max: 1, onnotice: () => {} });
  const counts = new Map<string, number>();
  let samples = 0;
  let stopping = false;
  process.once('message', () => (stopping = true));
  while (!stopping) {
    const rows = await sql<Sample[]>`
      select a.state, a.wait_event_type, a.wait_event, left(a.query, 70) as query,
             b.state as blocker_state, left(b.query, 70) as blocker_query
        from pg_stat_activity a
        left join lateral (select s.state, s.query from pg_stat_activity s
                            where s.pid = (pg_blocking_pids(a.pid))[1]) b on true
       where a.datname = current_database() and a.pid <> pg_backend_pid()
         and a.backend_type = 'client backend' and a.state <> 'idle'`;
    samples += 1;
    for (const r of rows) {
      const q = r.query.replace(/\s+/g, ' ');
      let key: string;
      if (r.state === 'idle in transaction') key = `idle in transaction (Node): ${q}`;
      else if (r.wait_event_type === 'Lock') {
        const holder = r.blocker_state ?? '?';
        const hq = (r.blocker_query ?? '').replace(/\s+/g, ' ');
        key = `lock ${r.wait_event}: ${q}  <- holder ${holder}: ${hq}`;
      } else if (r.wait_event_type) key = `${r.wait_event_type} ${r.wait_event}: ${q}`;
      else key = `running: ${q}`;
      counts.set(key, (counts.get(key) ?? 0) + 1);
    }
    await new Promise((r) => setTimeout(r, SAMPLE_MS));
  }
  await sql.end({ timeout: 5 });
  return [...counts]
    .sort((a, b) => b[1] - a[1])
    .slice(0, 30)
    .map(([k, n]) => `${(n / Math.max(1, samples)).toFixed(3).padStart(7)}  ${k}`);
}

if (process.argv.includes(CHILD_FLAG)) {
  process.once('message', (m: { superuserUrl: string; database: string }) => {
    void sampleUntilStopped(m.superuserUrl, m.database).then((lines) =>
      process.send!(lines, () => process.exit(0)),
    );
  });
}

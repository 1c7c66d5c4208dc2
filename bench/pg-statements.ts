import postgres from 'postgres';

// Where PostgreSQL's time goes, statement by statement: with BENCH_PG_STATEMENTS set, a
// benchmark starts its embedded server with pg_stat_statements loaded (planning tracked
// too), resets it before the measured run and prints, on stderr, the statements that took
// the most time, per operation (payment, flow). The driver's count (statements.ts) says
// what Node sent; this says what each cost the server, which the CPU meter only sums.
// Statements run inside functions and triggers are counted on their own lines as well
// (track = all), so a trigger's cost is seen; their time is also in their caller's.

export const PG_STATEMENTS = Boolean(process.env['BENCH_PG_STATEMENTS']);

/** The server settings the instrument needs; none when it is off. */
export function pgStatementsSettings(): string[] {
  if (!PG_STATEMENTS) return [];
  return [
    'shared_preload_libraries=pg_stat_statements',
    'pg_stat_statements.track=all',
    'pg_stat_statements.track_planning=on',
    'pg_stat_statements.max=5000',
  ];
}

interface Row {
  calls: string;
  plans: string;
  exec_ms: number;
  plan_ms: number;
  rows: string;
  toplevel: boolean;
  query: string;
}

export interface PgStatements {
  reset(): Promise<void>;
  /** Prints the costliest statements since the last reset, per `operations`. */
  report(operations: number, what: string): Promise<void>;
  close(): Promise<void>;
}

/** A no-op unless BENCH_PG_STATEMENTS is set; `superuserUrl` reaches the bench's server. */
export async function pgStatements(superuserUrl: string): Promise<PgStatements> {
  if (!PG_STATEMENTS) {
    return { reset: async () => {}, report: async () => {}, close: async () => {} };
  }
  const sql = postgres(superuserUrl, { max: 1, onnotice: () => {} });
  await sql`create extension if not exists pg_stat_statements`;
  return {
    reset: async () => {
      await sql`select pg_stat_statements_reset()`;
    },
    report: async (operations, what) => {
      const rows = await sql<Row[]>`
        select calls, plans, total_exec_time as exec_ms, total_plan_time as plan_ms, rows,
               toplevel, query
          from pg_stat_statements
         order by total_exec_time + total_plan_time desc
         limit 40`;
      const per = (n: number | string) => Number(n) / Math.max(1, operations);
      const top = rows.filter((r) => r.toplevel);
      const total = top.reduce((a, r) => a + r.exec_ms + r.plan_ms, 0);
      const out = [
        `pg_stat_statements, per ${what} (${operations}): top-level statements ` +
          `${((total * 1000) / Math.max(1, operations)).toFixed(0)} µs in all; ` +
          `calls, exec µs, plan µs, rows, nested (n) or top-level (t), statement`,
      ];
      for (const r of rows) {
        const text = r.query.replace(/\s+/g, ' ').trim().slice(0, 110);
        out.push(
          `${per(r.calls).toFixed(3).padStart(8)} ${(per(r.exec_ms) * 1000).toFixed(1).padStart(7)}` +
            ` ${(per(r.plan_ms) * 1000).toFixed(1).padStart(6)} ${per(r.rows).toFixed(2).padStart(7)}` +
            ` ${r.toplevel ? 't' : 'n'} ${text}`,
        );
      }
      process.stderr.write(`${out.join('\n')}\n`);
    },
    close: async () => {
      await sql.end({ timeout: 5 });
    },
  };
}

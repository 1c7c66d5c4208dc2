import postgres from 'postgres';
import { startEmbeddedPostgres, type EmbeddedPostgres } from '../src/db/index.ts';
import type { Logger } from '../src/lib/log.ts';
import { freePort } from '../test/helpers/free-port.ts';

// Where PostgreSQL's time goes, statement by statement: with BENCH_PG_STATEMENTS set, a
// benchmark starts its embedded server with pg_stat_statements loaded (planning tracked
// too), resets it before the measured run and prints, on stderr, the statements that took
// the most time, per operation (payment, flow). The driver's count (statements.ts) says
// what Node sent; this says what each cost the server, which the CPU meter only sums.
// Statements run inside functions and triggers are counted on their own lines as well
// (track = all), so a trigger's cost is seen; their time is also in their caller's.
// Then, per table, the rows inserted, updated and deleted per operation and how many of the
// updates were HOT (the new version on the row's page: no index entry written), from
// pg_stat_user_tables of the benchmark's database.

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

interface TableRow {
  relname: string;
  ins: string;
  upd: string;
  hot: string;
  del: string;
}

type Sql = ReturnType<typeof postgres>;

const tableRows = (db: Sql) => db<TableRow[]>`
  select relname, n_tup_ins as ins, n_tup_upd as upd, n_tup_hot_upd as hot, n_tup_del as del
    from pg_stat_user_tables`;

/** Rows written per operation since `before`, by table, most written first. */
function tableLines(before: TableRow[], after: TableRow[], operations: number): string[] {
  const was = new Map(before.map((r) => [r.relname, r]));
  const lines = [];
  for (const r of after) {
    const b = was.get(r.relname);
    const d = (k: 'ins' | 'upd' | 'hot' | 'del') => Number(r[k]) - Number(b?.[k] ?? 0);
    const written = d('ins') + d('upd') + d('del');
    if (written / operations < 0.01) continue;
    const per = (n: number) => (n / operations).toFixed(2).padStart(6);
    const hot = d('upd') > 0 ? `${((100 * d('hot')) / d('upd')).toFixed(0)} % HOT` : '';
    lines.push([
      written,
      `${per(d('ins'))} ${per(d('upd'))} ${per(d('del'))}  ${r.relname} ${hot}`,
    ]);
  }
  return lines.sort((x, y) => Number(y[0]) - Number(x[0])).map((l) => String(l[1]));
}

/**
 * A no-op unless BENCH_PG_STATEMENTS is set; `superuserUrl` reaches the bench's server,
 * `databaseUrl` names its database, for the tables' figures.
 */
export async function pgStatements(
  superuserUrl: string,
  databaseUrl?: string,
): Promise<PgStatements> {
  if (!PG_STATEMENTS) {
    return { reset: async () => {}, report: async () => {}, close: async () => {} };
  }
  const sql = postgres(superuserUrl, { max: 1, onnotice: () => {} });
  // The superuser, in the benchmark's database (the statistics views are per database).
  const inDatabase = (name: string) => {
    const u = new URL(superuserUrl);
    u.pathname = `/${name}`;
    return u.toString();
  };
  const database = databaseUrl ? new URL(databaseUrl).pathname.slice(1) : '';
  const tables = database ? postgres(inDatabase(database), { max: 1, onnotice: () => {} }) : null;
  let tablesBefore: TableRow[] = [];
  await sql`create extension if not exists pg_stat_statements`;
  return {
    reset: async () => {
      await sql`select pg_stat_statements_reset()`;
      // The cumulative statistics are flushed about once a second: the diff is that exact.
      if (tables) tablesBefore = await tableRows(tables);
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
      if (tables) {
        // Statistics reach the views when a backend flushes them (at most once a second).
        await new Promise((r) => setTimeout(r, 1100));
        out.push(`rows per ${what}: inserted, updated, deleted, table, share of updates HOT`);
        out.push(...tableLines(tablesBefore, await tableRows(tables), operations));
      }
      process.stderr.write(`${out.join('\n')}\n`);
    },
    close: async () => {
      await sql.end({ timeout: 5 });
      await tables?.end({ timeout: 5 });
    },
  };
}

/**
 * A benchmark's embedded server, started with the instrument's settings, and the instrument
 * (rows per table too, unless `tables` is false). If the instrument cannot connect, the
 * server is stopped.
 */
export async function startMeasuredPostgres(
  dataDir: string,
  log: Logger,
  tables = true,
): Promise<{ pg: EmbeddedPostgres; pgCost: PgStatements }> {
  const pg = await startEmbeddedPostgres({
    dataDir,
    port: await freePort(),
    log,
    settings: pgStatementsSettings(),
  });
  try {
    return { pg, pgCost: await pgStatements(pg.superuserUrl, tables ? pg.url : undefined) };
  } catch (error) {
    await pg.stop();
    throw error;
  }
}

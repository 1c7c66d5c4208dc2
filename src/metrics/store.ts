import type { Db } from '../db/index.ts';

// The metrics module's only SQL: it owns no table, and reads PostgreSQL's own view of the
// connections Kinko's role holds (every process's pool, not only this one's).

export async function connectionsByState(db: Db): Promise<{ state: string; count: number }[]> {
  const rows = await db<{ state: string | null; n: number }[]>`
    select state, count(*)::int as n from pg_stat_activity
    where usename = current_user and datname = current_database()
    group by state`;
  return rows.map((r) => ({ state: r.state ?? 'unknown', count: r.n }));
}

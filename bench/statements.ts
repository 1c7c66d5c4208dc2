import type { Sql } from '../src/db/index.ts';

// Statements sent to PostgreSQL, counted in the driver: a figure of the code, not of the
// machine, so it compares across runs and commits where rates on a shared VM cannot.
// postgres.js calls options.debug for every statement it sends; the options object is
// shared by every connection of the pool, so setting it later counts from then on.

export interface StatementCounter {
  /** Statements since start, and the most frequent, by their text's first 80 characters. */
  read(): { total: number; top: [string, number][] };
  stop(): void;
}

interface DebugOptions {
  options: { debug?: ((conn: number, text: string) => void) | false | undefined };
}

export function countStatements(sql: Sql): StatementCounter {
  const options = (sql as unknown as DebugOptions).options;
  const counts = new Map<string, number>();
  let total = 0;
  options.debug = (_conn, text) => {
    total += 1;
    const key = text.replace(/\s+/g, ' ').trim().slice(0, 80);
    counts.set(key, (counts.get(key) ?? 0) + 1);
  };
  return {
    read: () => ({
      total,
      top: [...counts].sort((a, b) => b[1] - a[1]).slice(0, 100),
    }),
    stop: () => {
      options.debug = false;
    },
  };
}

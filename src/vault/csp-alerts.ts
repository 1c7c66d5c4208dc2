import type { Sql, Tx } from '../db/index.ts';
import type { Clock } from '../lib/clock.ts';
import * as store from './store.ts';

// CSP reports made useful: grouped by page, directive and blocked origin with counts over
// time (the console's view), and a detector over the last window: on a payment page, an
// origin blocked there for the first time in CSP_LOOKBACK_SECONDS, or a spike of reports,
// raises an alert that joins the page's incident. Only what csp-report.ts kept is read:
// masked paths and origins, never a query string or anything card-like.

/** How far back an origin counts as already seen on a page. */
const CSP_LOOKBACK_SECONDS = 30 * 86_400;
/** A window with fewer reports than this on a page is never a spike. */
const CSP_SPIKE_REPORTS_MIN = 20;
/** A spike: this many times the page's average per window over the day before. */
const CSP_SPIKE_FACTOR = 5;
const DAY_SECONDS = 86_400;

/** Kinko's own payment pages: the hosted card fields and the 3-D Secure challenge. */
function isPaymentPage(page: string): boolean {
  return /\/hosted\/fields|\/3ds\/challenges\//.test(page);
}

export interface CspSignal {
  detector: string;
  key: string;
  title: string;
  severity: 'high';
  detail: Record<string, unknown>;
}

export type RaiseCsp = (tx: Tx, signal: CspSignal) => Promise<{ incidentId: string }>;

/**
 * Looks at the reports of the last windowSeconds; raises one signal per payment page with a
 * new blocked origin or a spike. Returns the signals raised.
 */
export async function checkCspReports(
  deps: { sql: Sql; clock: Clock },
  raise: RaiseCsp,
  windowSeconds: number,
): Promise<CspSignal[]> {
  const to = deps.clock.now();
  const from = new Date(to.getTime() - windowSeconds * 1000);
  const lookbackFrom = new Date(from.getTime() - CSP_LOOKBACK_SECONDS * 1000);
  const rows = (await store.cspWindow(deps.sql, { from, to, lookbackFrom })).filter((r) =>
    isPaymentPage(r.page),
  );
  if (rows.length === 0) return [];
  const dayBefore = { from: new Date(from.getTime() - DAY_SECONDS * 1000), to: from };
  const baseline = new Map(
    (await store.cspPageCounts(deps.sql, dayBefore)).map((r) => [r.page, r.n]),
  );
  const signals: CspSignal[] = [];
  for (const page of new Set(rows.map((r) => r.page))) {
    const mine = rows.filter((r) => r.page === page);
    const fresh = mine.filter((r) => !r.seen_before);
    const total = mine.reduce((sum, r) => sum + r.n, 0);
    const perWindow = ((baseline.get(page) ?? 0) * windowSeconds) / DAY_SECONDS;
    const spike = total >= CSP_SPIKE_REPORTS_MIN && total >= CSP_SPIKE_FACTOR * perWindow;
    if (fresh.length === 0 && !spike) continue;
    signals.push({
      detector: 'vault.csp',
      key: page,
      title: fresh.length > 0 ? 'New blocked origin on a payment page' : 'CSP report spike',
      severity: 'high',
      detail: {
        page,
        reports: total,
        baseline_per_window: Math.round(perWindow * 100) / 100,
        new_origins: fresh.map((r) => ({ directive: r.directive, origin: r.origin, n: r.n })),
      },
    });
  }
  if (signals.length > 0) {
    await deps.sql.begin(async (tx) => {
      for (const s of signals) await raise(tx, s);
    });
  }
  return signals;
}

/** The console's view: counts by page, directive, origin and time bucket. */
export async function cspReportGroups(
  deps: { sql: Sql; clock: Clock },
  q: { hours: number; bucketSeconds: number },
) {
  const since = new Date(deps.clock.nowMs() - q.hours * 3600 * 1000);
  const rows = await store.cspReportGroups(deps.sql, {
    since,
    bucketSeconds: q.bucketSeconds,
    limit: 5000,
  });
  const groups = new Map<string, { page: string; directive: string; origin: string }>();
  const counts = new Map<string, Array<{ at: string; count: number }>>();
  for (const r of rows) {
    const key = `${r.page}\0${r.directive}\0${r.origin}`;
    if (!groups.has(key))
      groups.set(key, { page: r.page, directive: r.directive, origin: r.origin });
    counts.set(key, [...(counts.get(key) ?? []), { at: r.bucket.toISOString(), count: r.n }]);
  }
  return [...groups].map(([key, g]) => {
    const series = counts.get(key) ?? [];
    return {
      ...g,
      payment_page: isPaymentPage(g.page),
      total: series.reduce((s, c) => s + c.count, 0),
      counts: series,
    };
  });
}

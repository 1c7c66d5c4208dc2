import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import type { Logger } from '../lib/log.ts';

// The process's metrics: counters bumped where things happen (one increment, no I/O, so a
// request or payment pays nanoseconds) and gauges read from the database only when
// Prometheus scrapes (outbox backlog, connections, checkpoint age), so nothing on a hot
// path waits on a query for the sake of a metric.

/** What a money request ended as, by its HTTP status (402 is a decline by name). */
export type MoneyOutcome = 'accepted' | 'declined' | 'refused' | 'failed';
export type MoneyKind = 'card_payment' | 'code_payment' | 'store_payment' | 'topup' | 'refund';
type WebhookOutcome = 'succeeded' | 'retrying' | 'failed';

/** One topic's outbox state, as outbox.stats() answers it. */
interface OutboxTopicStats {
  topic: string;
  ready: number;
  leased: number;
  waiting: number;
  dead: number;
  oldestReadySeconds: number;
}

/** The database reads a scrape makes; each may fail alone (then its source is down). */
interface ScrapeSources {
  outboxStats(): Promise<readonly OutboxTopicStats[]>;
  /** Connections of the serving role by state (all processes), from pg_stat_activity. */
  dbConnections(): Promise<ReadonlyArray<{ state: string; count: number }>>;
  /** When the newest audit checkpoint was signed; null before the first. */
  newestCheckpointAt(): Promise<Date | null>;
  nowMs(): number;
}

export interface Metrics {
  readonly registry: Registry;
  /** One answered request: its route template (never the raw URL) and status. */
  httpRequest(method: string, route: string, status: number, seconds: number): void;
  money(kind: MoneyKind, outcome: MoneyOutcome): void;
  /** One card network call and its outcome; a decline also counts by its reason. */
  cardNetworkCall(operation: string, outcome: string, declineReason?: string): void;
  webhookDelivery(outcome: WebhookOutcome): void;
  /**
   * The risk engine's hook: one decision (allow, review, step_up, block). Wired where the
   * engine decides; the counter exists from the start so dashboards do not change.
   */
  riskDecision(decision: string): void;
  /** Anything else a module counts (SIEM export, integrity checks): name and labels fixed. */
  securityEvent(kind: string, outcome: string): void;
  /**
   * The payment-page monitor's browser: 1 when it started at the last pass, 0 when it did not
   * (nothing is being watched), absent before the first pass of this process.
   */
  pageMonitorBrowser(up: boolean): void;
  /** Adds Node's own metrics (event loop lag, heap, GC): serving processes only. */
  collectProcessMetrics(): void;
  /** The exposition text for a scrape (Prometheus text format 0.0.4). */
  scrape(): Promise<{ contentType: string; body: string }>;
}

/** Latency buckets in seconds: the register's p99 target is 50 ms, so they are dense there. */
const LATENCY_BUCKETS_SECONDS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5];

interface MetricsDeps {
  sources: ScrapeSources;
  dbPoolConnectionsMax: number;
  log: Logger;
}

export function createMetrics(deps: MetricsDeps): Metrics {
  const registry = new Registry();
  const http = new Histogram({
    name: 'kinko_http_request_duration_seconds',
    help: 'HTTP requests by method, route template and status; _count is the request count.',
    labelNames: ['method', 'route', 'status'] as const,
    buckets: LATENCY_BUCKETS_SECONDS,
    registers: [registry],
  });
  const series = new Map<string, ReturnType<typeof http.labels>>();
  const counter = <L extends string>(name: string, help: string, labelNames: readonly L[]) =>
    new Counter({ name, help, labelNames, registers: [registry] });
  const money = counter('kinko_money_requests_total', 'Payments, top-ups and refunds by outcome.', [
    'kind',
    'outcome',
  ] as const);
  const network = counter(
    'kinko_card_network_calls_total',
    'Card network calls by operation and outcome.',
    ['operation', 'outcome'] as const,
  );
  const declines = counter('kinko_declines_total', 'Card declines by reason.', ['reason'] as const);
  const webhooks = counter(
    'kinko_webhook_deliveries_total',
    'Webhook delivery attempts by outcome.',
    ['outcome'] as const,
  );
  const risk = counter('kinko_risk_decisions_total', 'Risk decisions by outcome.', [
    'decision',
  ] as const);
  const security = counter('kinko_security_events_total', 'Security operations events.', [
    'kind',
    'outcome',
  ] as const);
  const browserUp = new Gauge({
    name: 'kinko_pagewatch_browser_up',
    help: "Whether the payment-page monitor's browser started at its last pass (0: not watching).",
    registers: [registry],
  });
  registerScrapeGauges(registry, deps);
  return {
    registry,
    httpRequest: (method, route, status, seconds) => {
      // prom-client hashes the labels on every observe; a child per series skips that. The
      // series are bounded: route templates and statuses are finite (unknown paths share one).
      const key = `${method} ${route} ${status}`;
      let child = series.get(key);
      if (!child) {
        child = http.labels({ method, route, status: String(status) });
        series.set(key, child);
      }
      child.observe(seconds);
    },
    money: (kind, outcome) => money.inc({ kind, outcome }),
    cardNetworkCall: (operation, outcome, declineReason) => {
      network.inc({ operation, outcome });
      if (declineReason !== undefined) declines.inc({ reason: declineReason });
    },
    webhookDelivery: (outcome) => webhooks.inc({ outcome }),
    riskDecision: (decision) => risk.inc({ decision }),
    securityEvent: (kind, outcome) => security.inc({ kind, outcome }),
    pageMonitorBrowser: (up) => browserUp.set(up ? 1 : 0),
    collectProcessMetrics: () => collectDefaultMetrics({ register: registry, prefix: 'kinko_' }),
    scrape: async () => ({ contentType: registry.contentType, body: await registry.metrics() }),
  };
}

/** Gauges filled at scrape time from the database; a failing source reports up=0. */
function registerScrapeGauges(registry: Registry, deps: MetricsDeps): void {
  const { sources, log } = deps;
  // Registered last: a scrape collects every metric at once, and this one waits for the
  // reads the others started, so it reports this scrape's answers, not the last one's.
  const running: Promise<void>[] = [];
  const up = new Gauge({
    name: 'kinko_scrape_source_up',
    help: 'Whether the database read behind a group of gauges answered at this scrape.',
    labelNames: ['source'] as const,
    registers: [],
    collect: async () => {
      await Promise.all(running.splice(0));
    },
  });
  const guarded = (source: string, fn: () => Promise<void>) => {
    const read = fn().then(
      () => up.set({ source }, 1),
      (err: unknown) => {
        log.warn({ err, source }, 'metrics source failed');
        up.set({ source }, 0);
      },
    );
    running.push(read);
    return read;
  };
  registerOutboxGauges(registry, sources, guarded);
  const connections = new Gauge({
    name: 'kinko_db_connections',
    help: "Connections of Kinko's database role, every process, by state (pg_stat_activity).",
    labelNames: ['state'] as const,
    registers: [registry],
    collect: () =>
      guarded('db', async () => {
        connections.reset();
        for (const c of await sources.dbConnections()) connections.set({ state: c.state }, c.count);
      }),
  });
  new Gauge({
    name: 'kinko_db_pool_connections_max',
    help: "This process's pool size (KINKO_DB_POOL_CONNECTIONS_MAX).",
    registers: [registry],
  }).set(deps.dbPoolConnectionsMax);
  const checkpointAge = new Gauge({
    name: 'kinko_audit_checkpoint_age_seconds',
    help: 'Seconds since the newest signed audit checkpoint (-1 before the first).',
    registers: [registry],
    collect: () =>
      guarded('audit', async () => {
        const at = await sources.newestCheckpointAt();
        checkpointAge.set(at ? (sources.nowMs() - at.getTime()) / 1000 : -1);
      }),
  });
  registry.registerMetric(up);
}

type Guarded = (source: string, fn: () => Promise<void>) => Promise<void>;

/** The outbox's backlog and oldest age per topic, filled by one read per scrape. */
function registerOutboxGauges(registry: Registry, sources: ScrapeSources, guarded: Guarded) {
  // Both outbox gauges are filled by one read, which ever of them is collected first starts.
  let outboxRead: Promise<void> | undefined;
  const readOutbox = () =>
    (outboxRead ??= guarded('outbox', async () => {
      const stats = await sources.outboxStats();
      backlog.reset();
      oldest.reset();
      for (const s of stats) {
        for (const state of ['ready', 'leased', 'waiting', 'dead'] as const) {
          backlog.set({ topic: s.topic, state }, s[state]);
        }
        oldest.set({ topic: s.topic }, s.oldestReadySeconds);
      }
    }).finally(() => (outboxRead = undefined)));
  const backlog = new Gauge({
    name: 'kinko_outbox_events',
    help: 'Outbox events per topic and state (ready, leased, waiting, dead).',
    labelNames: ['topic', 'state'] as const,
    registers: [registry],
    collect: readOutbox,
  });
  const oldest = new Gauge({
    name: 'kinko_outbox_oldest_ready_seconds',
    help: 'How long the oldest ready event of each topic has waited.',
    labelNames: ['topic'] as const,
    registers: [registry],
    collect: readOutbox,
  });
}

// Metrics: what Prometheus scrapes from each process (GET /metrics).
//
// Glossary
// - metric: a named series family in Prometheus text format, prefixed `kinko_`.
// - counter: a number that only rises, bumped where the thing happens (requests, card
//   network calls, webhook deliveries); the only work metrics add to a hot path.
// - scrape gauge: a value read from the database when Prometheus scrapes (outbox backlog,
//   connections, checkpoint age); costs nothing between scrapes.
// - source: one database read behind scrape gauges; `kinko_scrape_source_up` says whether
//   it answered, so an outage shows as a gap, not as zeros.
// - route template: the route as declared (`/v1/payments/:id`), never the raw URL, so ids do
//   not become series.
// - money request: a payment, top-up or refund request, counted by kind and outcome
//   (accepted, declined, refused, failed) from its route and status.

export { createMetrics, type Metrics } from './metrics.ts';
export { meteredNetwork, observeResponse } from './observe.ts';
export { metricsRoutes, startMetricsServer } from './routes.ts';
export { connectionsByState } from './store.ts';

import { timingSafeEqual, createHash } from 'node:crypto';
import http from 'node:http';
import type { App } from '../http/index.ts';
import type { Logger } from '../lib/log.ts';
import { metricsError } from './errors.ts';
import type { Metrics } from './metrics.ts';

// GET /metrics: on the API port behind a bearer token, or on a separate port (bound to
// HOST, meant for a private network) without one. Neither configured: not served.

interface MetricsAccess {
  /** KINKO_METRICS_TOKEN; the API port's /metrics answers metrics_not_enabled without it. */
  token: string | undefined;
}

/** Token comparison in constant time, over digests so the lengths need not match. */
function tokenMatches(given: string, token: string): boolean {
  const digest = (s: string) => createHash('sha256').update(s).digest();
  return timingSafeEqual(digest(given), digest(token));
}

export function metricsRoutes(app: App, deps: { metrics: Metrics; access: MetricsAccess }) {
  app.get(
    '/metrics',
    { schema: { summary: 'Prometheus metrics (bearer KINKO_METRICS_TOKEN)', hide: true } },
    async (req, reply) => {
      const token = deps.access.token;
      if (token === undefined) throw metricsError('metrics_not_enabled');
      const header = req.headers.authorization ?? '';
      const given = header.startsWith('Bearer ') ? header.slice('Bearer '.length) : '';
      if (!tokenMatches(given, token)) throw metricsError('metrics_token_invalid');
      const { contentType, body } = await deps.metrics.scrape();
      return reply.type(contentType).send(body);
    },
  );
}

/** The separate metrics listener: /metrics only, anything else 404. Resolves once listening. */
export async function startMetricsServer(
  metrics: Metrics,
  host: string,
  port: number,
  log: Logger,
): Promise<{ port: number; stop(): Promise<void> }> {
  const server = http.createServer((req, res) => {
    if (req.method !== 'GET' || req.url !== '/metrics') {
      res.writeHead(404, { 'content-type': 'text/plain' }).end('not found\n');
      return;
    }
    metrics.scrape().then(
      ({ contentType, body }) => res.writeHead(200, { 'content-type': contentType }).end(body),
      (err: unknown) => {
        log.error({ err }, 'metrics scrape failed');
        res.writeHead(500, { 'content-type': 'text/plain' }).end('scrape failed\n');
      },
    );
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => resolve());
  });
  const address = server.address();
  const bound = typeof address === 'object' && address ? address.port : port;
  return {
    port: bound,
    stop: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

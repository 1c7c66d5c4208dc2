import type { Sql } from '../db/index.ts';
import { migrationStatus } from '../db/index.ts';
import type { App } from './server.ts';

// The platform's own routes. /healthz is liveness: the process answers, nothing more, so an
// orchestrator restarts a hung process but not one waiting out a database outage. /readyz
// answers ok only when the database answers and every migration this code knows has been
// applied, so a load balancer never routes to a process whose schema is behind. Its
// database query is bounded by its own deadline: a frozen or unreachable database answers
// 503 database_unavailable within it, never silence.

/** Resolves with fn's answer, or rejects once ms have passed without one. */
function within<T>(ms: number, fn: () => Promise<T>): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('health query timed out')), ms);
    fn().then(
      (v) => (clearTimeout(timer), resolve(v)),
      (e: unknown) => (clearTimeout(timer), reject(e)),
    );
  });
}

const DETAILS = { type: 'object', additionalProperties: { type: 'string' } } as const;
const STATUS_SCHEMA = {
  200: {
    type: 'object',
    properties: { status: { const: 'ok' }, details: DETAILS },
    required: ['status'],
  },
  503: {
    type: 'object',
    properties: { status: { type: 'string' }, details: DETAILS },
    required: ['status'],
  },
} as const;

interface HealthDeps {
  sql: Sql;
  timeoutMs: number;
  /**
   * What works in a degraded way without making the process unready (the page monitor's
   * `no_browser`): named in /readyz's `details`, so an orchestrator's probe log shows it.
   */
  details?: (() => Record<string, string>) | undefined;
}

export function healthRoutes(app: App, deps: HealthDeps): void {
  app.get(
    '/healthz',
    { schema: { summary: 'Liveness: the process answers', response: STATUS_SCHEMA } },
    async () => ({ status: 'ok' as const }),
  );
  app.get(
    '/readyz',
    {
      schema: {
        summary: 'Readiness: the database answers and no migration is pending',
        response: STATUS_SCHEMA,
      },
      logLevel: 'warn',
    },
    async (_req, reply) => {
      const details = deps.details?.() ?? {};
      const more = Object.keys(details).length > 0 ? { details } : {};
      try {
        const { pending } = await within(deps.timeoutMs, () => migrationStatus(deps.sql));
        if (pending === 0) return { status: 'ok' as const, ...more };
        return reply.status(503).send({ status: 'migrations_pending', ...more });
      } catch {
        return reply.status(503).send({ status: 'database_unavailable', ...more });
      }
    },
  );
}

import type { Sql } from '../db/index.ts';
import { migrationStatus } from '../db/index.ts';
import type { App } from './server.ts';

// The platform's own routes. /healthz answers ok only when the database answers and every
// migration this code knows has been applied, so a load balancer never routes to a
// process whose schema is behind.

export function healthRoutes(app: App, deps: { sql: Sql }): void {
  app.get(
    '/healthz',
    {
      schema: {
        summary: 'Liveness and readiness',
        response: {
          200: { type: 'object', properties: { status: { const: 'ok' } }, required: ['status'] },
          503: { type: 'object', properties: { status: { type: 'string' } }, required: ['status'] },
        },
      },
      logLevel: 'warn',
    },
    async (_req, reply) => {
      try {
        const { pending } = await migrationStatus(deps.sql);
        if (pending === 0) return { status: 'ok' };
        return reply.status(503).send({ status: 'migrations_pending' });
      } catch {
        return reply.status(503).send({ status: 'database_unavailable' });
      }
    },
  );
}

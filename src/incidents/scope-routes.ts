import type { FastifyRequest, preHandlerAsyncHookHandler } from 'fastify';
import { closed, id, oneOf, Type, type App, type TSchema } from '../http/index.ts';
import type { Incidents } from './service.ts';
import * as store from './store.ts';
import {
  SCOPE_PARTS,
  scopeExportJson,
  scopeOf,
  scopePart,
  scopeSummaryJson,
  toCsv,
} from './scope-export.ts';
import { SCOPE_INDICATORS_MAX } from './scope.ts';
import { appendTimeline } from './timeline.ts';

// Scope over HTTP: run it from indicators, read a run's summary, run it again, export it.
// An export carries personal data out of Kinko, so each one is on the incident's timeline
// and in the audit trail, with who took it.

export type ScopeAccess = 'incidents.read' | 'incidents.scope' | 'incidents.export';

interface ScopeRoutesDeps {
  incidents: Incidents;
  requireOperator(access: ScopeAccess): preHandlerAsyncHookHandler;
  operatorIdOf(req: FastifyRequest): string;
}

const SUMMARY_ROWS_MAX = 200;
const list = <T extends TSchema>(item: T) =>
  Type.Optional(Type.Array(item, { maxItems: SCOPE_INDICATORS_MAX, uniqueItems: true }));
const uuid = Type.String({ format: 'uuid' });
const shortId = Type.String({ minLength: 1, maxLength: 80, pattern: '^[A-Za-z0-9_-]+$' });

const indicatorsSchema = closed({
  from: Type.String({ format: 'date-time' }),
  to: Type.String({ format: 'date-time' }),
  ip_ranges: list(Type.String({ minLength: 2, maxLength: 43 })),
  device_ids: list(uuid),
  session_ids: list(uuid),
  customer_ids: list(uuid),
  card_fingerprints: list(Type.String({ pattern: '^[0-9a-f]{64}$' })),
  card_bins: list(Type.String({ pattern: '^[0-9]{6}$' })),
  card_brands: list(oneOf(['visa', 'mastercard', 'jcb', 'amex', 'diners', 'discover', 'unionpay'])),
  merchant_ids: list(shortId),
  store_ids: list(shortId),
  terminal_ids: list(shortId),
  // SRI form (sha256-…) as pages carry it, or the page monitor's hex SHA-256.
  script_hashes: list(
    Type.String({ pattern: '^(sha(256|384|512)-[A-Za-z0-9+/=]{20,100}|[0-9a-f]{64})$' }),
  ),
});

const incidentParams = closed({ id: id('inc') });
const scopeParams = closed({ id: id('inc'), scope_id: id('scope') });
const partParams = closed({ id: id('inc'), scope_id: id('scope'), part: oneOf(SCOPE_PARTS) });

export function scopeRoutes(app: App, deps: ScopeRoutesDeps): void {
  const { incidents } = deps;
  const db = incidents.deps.sql;
  const actorOf = (req: FastifyRequest) => ({
    type: 'operator' as const,
    id: deps.operatorIdOf(req),
  });
  const run = deps.requireOperator('incidents.scope');
  const read = deps.requireOperator('incidents.read');
  app.post(
    '/v1/operator/incidents/:id/scopes',
    {
      schema: {
        summary: 'Run the scope from indicators and save it as the next run',
        params: incidentParams,
        body: indicatorsSchema,
      },
      preHandler: run,
    },
    async (req, reply) => {
      const s = await incidents.runScope({
        incidentId: req.params.id,
        indicators: req.body,
        actor: actorOf(req),
      });
      return reply.status(201).send(await scopeSummaryJson(db, s, SUMMARY_ROWS_MAX));
    },
  );
  app.get(
    '/v1/operator/incidents/:id/scopes',
    {
      schema: { summary: "An incident's scope runs, newest first", params: incidentParams },
      preHandler: read,
    },
    async (req) => ({ data: (await store.scopesOf(db, req.params.id)).map(brief) }),
  );
  app.get(
    '/v1/operator/incidents/:id/scopes/:scope_id',
    {
      schema: {
        summary: 'One scope run: totals, customers, cards, merchants',
        params: scopeParams,
      },
      preHandler: read,
    },
    async (req) =>
      scopeSummaryJson(db, await scopeOf(db, req.params.id, req.params.scope_id), SUMMARY_ROWS_MAX),
  );
  app.post(
    '/v1/operator/incidents/:id/scopes/:scope_id/rerun',
    {
      schema: {
        summary: 'Run a saved scope again with its indicators (data may have grown)',
        params: scopeParams,
        body: closed({}),
      },
      preHandler: run,
    },
    async (req, reply) => {
      const before = await scopeOf(db, req.params.id, req.params.scope_id);
      const s = await incidents.runScope({
        incidentId: req.params.id,
        indicators: before.indicators as never,
        actor: actorOf(req),
      });
      return reply.status(201).send(await scopeSummaryJson(db, s, SUMMARY_ROWS_MAX));
    },
  );
  exportRoutes(app, deps);
}

function brief(s: store.ScopeRow) {
  return {
    id: s.id,
    run: s.run,
    totals: s.totals,
    ran_at: s.ran_at.toISOString(),
    ran_by: s.ran_by,
  };
}

function exportRoutes(app: App, deps: ScopeRoutesDeps): void {
  const { incidents } = deps;
  const db = incidents.deps.sql;
  const exporter = deps.requireOperator('incidents.export');
  /** The export is recorded before it is handed out: no record, no export. */
  const record = async (req: FastifyRequest, incidentId: string, scopeId: string, what: string) => {
    await db.begin((tx) =>
      appendTimeline(tx, incidents.deps, incidentId, {
        kind: 'scope.exported',
        summary: `Scope exported: ${what}`,
        ref: { type: 'scope', id: scopeId },
        actor: { type: 'operator', id: deps.operatorIdOf(req) },
      }),
    );
  };
  app.get(
    '/v1/operator/incidents/:id/scopes/:scope_id/export.json',
    {
      schema: { summary: 'A scope run, every part, as JSON (audited)', params: scopeParams },
      preHandler: exporter,
    },
    async (req, reply) => {
      const s = await scopeOf(db, req.params.id, req.params.scope_id);
      await record(req, s.incident_id, s.id, 'JSON');
      const body = await scopeExportJson(db, s);
      return reply.header('content-disposition', `attachment; filename="${s.id}.json"`).send(body);
    },
  );
  app.get(
    '/v1/operator/incidents/:id/scopes/:scope_id/export/:part',
    {
      schema: { summary: 'One part of a scope run as CSV (audited)', params: partParams },
      preHandler: exporter,
    },
    async (req, reply) => {
      const s = await scopeOf(db, req.params.id, req.params.scope_id);
      await record(req, s.incident_id, s.id, `${req.params.part} CSV`);
      const rows = await scopePart(db, s.id, req.params.part);
      return reply
        .header('content-type', 'text/csv; charset=utf-8')
        .header('content-disposition', `attachment; filename="${s.id}-${req.params.part}.csv"`)
        .send(toCsv(rows));
    },
  );
}

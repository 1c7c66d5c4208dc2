import type { FastifyRequest, preHandlerAsyncHookHandler } from 'fastify';
import { closed, freeText, id, oneOf, Type, type App } from '../http/index.ts';
import type { Incidents } from './service.ts';
import * as store from './store.ts';
import {
  cardBrandReport,
  ppcReport,
  publicNotice,
  REPORT_KINDS,
  type ReportInput,
  type ReportKind,
} from './reports.ts';
import { reportHtml } from './report-html.ts';
import { appendTimeline } from './timeline.ts';
import { incidentsError } from './errors.ts';

// Reports over HTTP: read one as JSON or as a printable page (a download is on the timeline),
// and put the operator's own words into one of its items (a `report.edited` event).

export type ReportAccess = 'incidents.report';

interface ReportRoutesDeps {
  incidents: Incidents;
  requireOperator(access: ReportAccess): preHandlerAsyncHookHandler;
  operatorIdOf(req: FastifyRequest): string;
}

const REPORT_TEXT_CHARS_MAX = 4000;
const params = closed({ id: id('inc'), kind: oneOf(REPORT_KINDS) });

async function reportInput(incidents: Incidents, incidentId: string): Promise<ReportInput> {
  const db = incidents.deps.sql;
  const view = await incidents.view(db, incidentId);
  if (!view) throw incidentsError('incident_not_found', { param: 'id' });
  const [scope] = await store.scopesOf(db, incidentId);
  const cards = scope ? await store.scopeCards(db, scope.id) : [];
  return {
    incident: view.record,
    timeline: view.timeline,
    scope: scope ?? null,
    cards,
    now: incidents.deps.clock.now(),
  };
}

function build(kind: ReportKind, input: ReportInput): Record<string, unknown> {
  switch (kind) {
    case 'ppc_preliminary':
    case 'ppc_final':
      return ppcReport(input, kind);
    case 'card_brand':
      return cardBrandReport(input);
    case 'public_notice':
      return publicNotice(input);
  }
}

export function reportRoutes(app: App, deps: ReportRoutesDeps): void {
  const { incidents } = deps;
  const access = deps.requireOperator('incidents.report');
  const db = incidents.deps.sql;
  app.get(
    '/v1/operator/incidents/:id/reports/:kind',
    {
      schema: {
        summary: 'A report filled from the incident: JSON, or format=html for a printable page',
        params,
        querystring: closed({
          format: Type.Optional(oneOf(['json', 'html'])),
          download: Type.Optional(Type.Boolean()),
        }),
      },
      preHandler: access,
    },
    async (req, reply) => {
      const { id: incidentId, kind } = req.params;
      const report = build(kind, await reportInput(incidents, incidentId));
      const html = req.query.format === 'html';
      if (req.query.download) {
        await db.begin((tx) =>
          appendTimeline(tx, incidents.deps, incidentId, {
            kind: 'report.downloaded',
            summary: `Report ${kind} downloaded as ${html ? 'HTML' : 'JSON'}`,
            ref: { type: 'report', id: kind },
            actor: { type: 'operator', id: deps.operatorIdOf(req) },
          }),
        );
        const file = `${incidentId}-${kind}.${html ? 'html' : 'json'}`;
        reply.header('content-disposition', `attachment; filename="${file}"`);
      }
      if (!html) return report;
      return reply.header('content-type', 'text/html; charset=utf-8').send(reportHtml(report));
    },
  );
  app.post(
    '/v1/operator/incidents/:id/reports/:kind/text',
    {
      schema: {
        summary: "The operator's words for one item of a report (kept on the timeline)",
        params,
        body: closed({
          field: Type.String({ pattern: '^[a-z_]{2,32}$' }),
          text: freeText(REPORT_TEXT_CHARS_MAX, 1),
        }),
      },
      preHandler: access,
    },
    async (req) => {
      const { id: incidentId, kind } = req.params;
      await db.begin((tx) =>
        appendTimeline(tx, incidents.deps, incidentId, {
          kind: 'report.edited',
          summary: `Report ${kind}: ${req.body.field} edited`,
          ref: { type: 'report', id: kind },
          actor: { type: 'operator', id: deps.operatorIdOf(req) },
          detail: { field: req.body.field, text: req.body.text },
        }),
      );
      return build(kind, await reportInput(incidents, incidentId));
    },
  );
}

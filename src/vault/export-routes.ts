import type { FastifyRequest, preHandlerAsyncHookHandler } from 'fastify';
import { closed, freeText, id, sourceOf, Type, type App } from '../http/index.ts';
import type { CardExportView } from './export.ts';
import type { CardExports } from './service.ts';

// The card export over HTTP, for security operators: request (one operator), approve
// (another), download the encrypted file, list. Thin handlers: validate, one call, map.

type CardExportAccess = 'incidents.card_export';

interface CardExportRoutesDeps {
  exports: CardExports;
  requireOperator(access: CardExportAccess): preHandlerAsyncHookHandler;
  operatorIdOf(req: FastifyRequest): string;
}

/** An age recipient is one line of bech32 text; the longest (post-quantum) is ~2,000. */
const RECIPIENT_CHARS_MAX = 4000;
const REASON_CHARS_MAX = 500;

const params = closed({ id: id('inc') });
const exportParams = closed({ id: id('inc'), export: id('cexp') });

function exportJson(v: CardExportView) {
  return {
    id: v.id,
    incident_id: v.incidentId,
    scope_id: v.scopeId,
    recipient: v.recipient,
    reason: v.reason,
    state: v.state,
    cards_requested: v.cardsRequested,
    cards_exported: v.cardsExported,
    requested_by: v.requestedBy,
    requested_at: v.requestedAt.toISOString(),
    approved_by: v.approvedBy,
    approved_at: v.approvedAt?.toISOString() ?? null,
    downloads: v.downloads,
    downloads_max: v.downloadsMax,
    expires_at: v.expiresAt.toISOString(),
    sha256: v.sha256,
    download_url: `/v1/operator/incidents/${v.incidentId}/card-exports/${v.id}/file`,
  };
}

export function cardExportRoutes(app: App, deps: CardExportRoutesDeps): void {
  const access = deps.requireOperator('incidents.card_export');
  const base = '/v1/operator/incidents/:id/card-exports';
  app.post(
    base,
    {
      schema: {
        summary: "Request an encrypted export of the latest scope run's cards (full numbers)",
        params,
        body: closed({
          recipient: Type.String({ pattern: '^age1[0-9a-z]+$', maxLength: RECIPIENT_CHARS_MAX }),
          reason: freeText(REASON_CHARS_MAX, 3),
        }),
      },
      preHandler: access,
    },
    async (req, reply) => {
      const v = await deps.exports.request({
        incidentId: req.params.id,
        recipient: req.body.recipient,
        reason: req.body.reason,
        operatorId: deps.operatorIdOf(req),
        source: sourceOf(req),
      });
      return reply.status(201).send(exportJson(v));
    },
  );
  app.get(
    base,
    { schema: { summary: "The incident's card exports", params }, preHandler: access },
    async (req) => ({ data: (await deps.exports.list(req.params.id)).map(exportJson) }),
  );
  app.post(
    `${base}/:export/approve`,
    {
      schema: {
        summary: 'Approve a card export requested by another operator, producing its file',
        params: exportParams,
        body: closed({}),
      },
      preHandler: access,
    },
    async (req) => exportJson(await deps.exports.approve(decision(req, deps))),
  );
  app.get(
    `${base}/:export/file`,
    {
      schema: {
        summary: 'Download the encrypted file (age), a limited number of times',
        params: exportParams,
      },
      preHandler: access,
    },
    async (req, reply) => {
      const { view, file } = await deps.exports.download(decision(req, deps));
      return reply
        .header('content-type', 'application/octet-stream')
        .header('content-disposition', `attachment; filename="kinko-cards-${view.id}.csv.age"`)
        .header('cache-control', 'no-store')
        .send(file);
    },
  );
}

function decision(
  req: FastifyRequest & { params: { id: string; export: string } },
  deps: CardExportRoutesDeps,
) {
  return {
    incidentId: req.params.id,
    exportId: req.params.export,
    operatorId: deps.operatorIdOf(req),
    source: sourceOf(req),
  };
}

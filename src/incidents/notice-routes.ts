import type { FastifyRequest, preHandlerAsyncHookHandler } from 'fastify';
import { closed, freeText, idParams, oneOf, Type, type App } from '../http/index.ts';
import type { Incidents } from './service.ts';
import {
  listNotices,
  noticeOverview,
  notifyCustomers,
  retryNotices,
  type NoticePorts,
} from './notices.ts';
import * as store from './store.ts';

// Notices over HTTP: an operator who works incidents sends the notices of the latest scope
// run, giving the help desk customers and merchants should call. Sending again is safe: only
// customers and merchants not yet told are told, and the answer says how many were. Every
// operator reads the notices and their delivery state; those who work incidents queue failed
// ones again.

interface NoticeRoutesDeps {
  incidents: Incidents;
  notices: NoticePorts;
  requireOperator(access: 'incidents.read' | 'incidents.manage'): preHandlerAsyncHookHandler;
  operatorIdOf(req: FastifyRequest): string;
}

const CONTACT_CHARS_MAX = 200;
const NOTICES_PAGE_MAX = 500;
const RETRY_REFS_MAX = 1000;
const STATES = ['queued', 'sent', 'delivered', 'failed'] as const;
const params = idParams('inc');
const body = closed({ contact: freeText(CONTACT_CHARS_MAX, 1) });
const ref = Type.String({ pattern: '^(ntc|mnt)_[A-Za-z0-9_-]{16,64}$' });
const listQuery = closed({
  state: Type.Optional(oneOf(STATES)),
  after: Type.Optional(ref),
  limit: Type.Optional(Type.Integer({ minimum: 1, maximum: NOTICES_PAGE_MAX })),
});
const retryBody = closed({
  refs: Type.Optional(Type.Array(ref, { minItems: 1, maxItems: RETRY_REFS_MAX })),
});

export function noticeRoutes(app: App, deps: NoticeRoutesDeps): void {
  const { incidents } = deps;
  const read = deps.requireOperator('incidents.read');
  const manage = deps.requireOperator('incidents.manage');
  app.post(
    '/v1/operator/incidents/:id/notices',
    {
      schema: {
        summary:
          'Notify the customers (email and SMS) and merchants (webhook event and email to ' +
          'owners and admins) of the latest scope run, each once',
        params,
        body,
      },
      preHandler: manage,
    },
    async (req, reply) => {
      const sent = await notifyCustomers(incidents.deps, deps.notices, {
        incidentId: req.params.id,
        contact: req.body.contact,
        actor: { type: 'operator', id: deps.operatorIdOf(req) },
      });
      return reply.status(201).send({
        scope_id: sent.scopeId,
        customers: sent.customers,
        email: sent.email,
        sms: sent.sms,
        already_notified: sent.alreadyNotified,
        merchants: sent.merchants.merchants,
        merchant_emails: sent.merchants.emails,
        merchants_already_notified: sent.merchants.alreadyNotified,
      });
    },
  );
  app.get(
    '/v1/operator/incidents/:id/notices',
    {
      schema: {
        summary: 'An incident’s notices by channel, and per audience, channel and delivery state',
        params,
      },
      preHandler: read,
    },
    async (req) => {
      const db = incidents.deps.sql;
      const counts = await store.noticeCounts(db, req.params.id);
      const states = await noticeOverview(db, deps.notices.merchants, req.params.id);
      return { ...counts, ...states };
    },
  );
  listRoutes(app, deps, read, manage);
}

function listRoutes(
  app: App,
  deps: NoticeRoutesDeps,
  read: preHandlerAsyncHookHandler,
  manage: preHandlerAsyncHookHandler,
): void {
  const { incidents } = deps;
  app.get(
    '/v1/operator/incidents/:id/notices/list',
    {
      schema: {
        summary: 'An incident’s notices with their delivery state, a page at a time',
        params,
        querystring: listQuery,
      },
      preHandler: read,
    },
    async (req) => {
      const q = req.query;
      const limit = q.limit ?? 100;
      const rows = await listNotices(incidents.deps.sql, deps.notices.merchants, req.params.id, {
        ...{ state: q.state ?? null, after: q.after ?? null, limit },
      });
      return {
        data: rows.map((r) => ({
          ...r,
          state_at: r.state_at.toISOString(),
          sent_at: r.sent_at.toISOString(),
        })),
        has_more: rows.length === limit,
      };
    },
  );
  app.post(
    '/v1/operator/incidents/:id/notices/retry',
    {
      schema: {
        summary:
          'Queue failed email and SMS notices again (all, or those named); a delivered ' +
          'notice is never sent twice',
        params,
        body: retryBody,
      },
      preHandler: manage,
    },
    async (req) =>
      retryNotices(incidents.deps, deps.notices, {
        incidentId: req.params.id,
        refs: req.body.refs ?? null,
        actor: { type: 'operator', id: deps.operatorIdOf(req) },
      }),
  );
}

import type { FastifyRequest, preHandlerAsyncHookHandler } from 'fastify';
import { closed, freeText, idParams, type App } from '../http/index.ts';
import type { Incidents } from './service.ts';
import { notifyCustomers, type NoticePorts } from './notices.ts';
import * as store from './store.ts';

// Notices over HTTP: an operator who works incidents sends the notices of the latest scope
// run, giving the help desk customers should call. Sending again is safe: only customers not
// yet told are told, and the answer says how many were.

interface NoticeRoutesDeps {
  incidents: Incidents;
  notices: NoticePorts;
  requireOperator(access: 'incidents.read' | 'incidents.manage'): preHandlerAsyncHookHandler;
  operatorIdOf(req: FastifyRequest): string;
}

const CONTACT_CHARS_MAX = 200;
const params = idParams('inc');
const body = closed({ contact: freeText(CONTACT_CHARS_MAX, 1) });

export function noticeRoutes(app: App, deps: NoticeRoutesDeps): void {
  const { incidents } = deps;
  app.post(
    '/v1/operator/incidents/:id/notices',
    {
      schema: {
        summary: 'Notify the customers of the latest scope run by email and SMS (once each)',
        params,
        body,
      },
      preHandler: deps.requireOperator('incidents.manage'),
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
      });
    },
  );
  app.get(
    '/v1/operator/incidents/:id/notices',
    {
      schema: { summary: 'How many notices an incident has sent, by channel', params },
      preHandler: deps.requireOperator('incidents.read'),
    },
    async (req) => store.noticeCounts(incidents.deps.sql, req.params.id),
  );
}

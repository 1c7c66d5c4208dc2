import type { FastifyRequest, preHandlerAsyncHookHandler } from 'fastify';
import { closed, id, Type, type App } from '../http/index.ts';
import type { Incidents } from './service.ts';
import {
  approveCompensation,
  compensationTotals,
  proposeCompensation,
  type CompensationPorts,
} from './compensation.ts';

// Compensation over HTTP: propose from the latest scope run, approve (another operator) and
// post, and read total compensated against total lost.

interface CompensationRoutesDeps {
  incidents: Incidents;
  compensation: CompensationPorts;
  requireOperator(access: 'incidents.read' | 'incidents.manage'): preHandlerAsyncHookHandler;
  operatorIdOf(req: FastifyRequest): string;
}

const params = closed({ id: id('inc') });
const proposalParams = closed({
  id: id('inc'),
  proposal: Type.String({ pattern: '^[1-9][0-9]{0,18}$' }),
});

export function compensationRoutes(app: App, deps: CompensationRoutesDeps): void {
  const { incidents } = deps;
  const manage = deps.requireOperator('incidents.manage');
  const actorOf = (req: FastifyRequest) => ({
    type: 'operator' as const,
    id: deps.operatorIdOf(req),
  });
  app.post(
    '/v1/operator/incidents/:id/compensations',
    {
      schema: {
        summary: 'Propose compensating the customers of the latest scope run',
        params,
        body: closed({}),
      },
      preHandler: manage,
    },
    async (req, reply) => {
      const p = await proposeCompensation(incidents.deps, {
        incidentId: req.params.id,
        actor: actorOf(req),
      });
      return reply.status(201).send({
        proposal: p.seq.toString(),
        scope_id: p.scopeId,
        total_minor: p.totalMinor.toString(),
        items: p.items,
      });
    },
  );
  app.post(
    '/v1/operator/incidents/:id/compensations/:proposal/approve',
    {
      schema: {
        summary: 'Approve a compensation proposed by another operator and post it (once)',
        params: proposalParams,
        body: closed({}),
      },
      preHandler: manage,
    },
    async (req) => {
      const done = await approveCompensation(incidents.deps, deps.compensation, {
        incidentId: req.params.id,
        proposal: BigInt(req.params.proposal),
        actor: actorOf(req),
      });
      return {
        proposal: done.proposal.toString(),
        posted: done.posted,
        posted_minor: done.postedMinor.toString(),
        already_posted: done.alreadyPosted,
        closed_accounts: done.closedAccounts,
      };
    },
  );
  app.get(
    '/v1/operator/incidents/:id/compensations',
    {
      schema: { summary: 'Total compensated against total lost', params },
      preHandler: deps.requireOperator('incidents.read'),
    },
    async (req) => compensationTotals(incidents.deps.sql, req.params.id),
  );
}

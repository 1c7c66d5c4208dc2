import type { FastifyRequest, preHandlerAsyncHookHandler } from 'fastify';
import { closed, freeText, idParams as idParamsOf, Type, type App } from '../http/index.ts';
import type { Actor, Pagewatch, PageView } from './service.ts';
import type { AlertRow, ObservationRow, PageRow } from './store.ts';

// The monitor over HTTP. Merchants (dashboard session or API key) register, list, remove and
// approve their checkout pages under /v1/pages; operators see every page and alert and
// approve Kinko's own pages under /v1/operator/pages. Who may call is decided by the
// merchants' and identity's preHandlers, which arrive as parameters. Every list answers the
// monitor's status too, so a screen can never show "no changes" while nothing is watched.

type PagesScope = 'pages:read' | 'pages:write';
type OperatorAccess = 'pages.read' | 'pages.approve';

interface PagewatchRoutesDeps {
  pagewatch: Pagewatch;
  requireMerchantKey(scope: PagesScope): preHandlerAsyncHookHandler;
  merchantOf(req: FastifyRequest): { merchantId: string; actor: Actor };
  /** Route options with Idempotency-Key for a merchant POST. */
  merchantWrite(scope: PagesScope): object;
  requireOperator(access: OperatorAccess): preHandlerAsyncHookHandler;
  operatorIdOf(req: FastifyRequest): string;
}

const idParams = idParamsOf('page');
const approveBody = closed({
  observation_id: Type.String({ pattern: '^pgobs_[A-Za-z0-9_-]{16,64}$' }),
  reason: Type.Optional(freeText(500, 1)),
});

function pageJson(p: PageRow) {
  return {
    id: p.id,
    object: 'page',
    merchant_id: p.merchant_id,
    kind: p.kind,
    url: p.url,
    label: p.label,
    created_at: p.created_at.toISOString(),
    approved_at: p.approved_at?.toISOString() ?? null,
    next_check_at: p.next_check_at.toISOString(),
  };
}

function observationJson(o: ObservationRow) {
  return {
    id: o.id,
    object: 'page_observation',
    page_id: o.page_id,
    observed_at: o.observed_at.toISOString(),
    outcome: o.outcome,
    failure: o.failure,
    inventory: o.inventory,
    difference: o.difference,
  };
}

function viewJson(v: PageView, operator: boolean) {
  return {
    ...pageJson(v.page),
    state: v.state,
    latest: v.latest ? observationJson(v.latest) : null,
    approved: v.approved
      ? { ...v.approved, approved_at: v.approved.approved_at.toISOString() }
      : null,
    difference: v.difference,
    ...(operator ? { incident_id: v.latest?.incident_id ?? null } : {}),
  };
}

function alertJson(a: AlertRow, operator: boolean) {
  return {
    ...observationJson(a),
    object: 'page_alert',
    url: a.url,
    kind: a.kind,
    ...(operator ? { merchant_id: a.merchant_id, incident_id: a.incident_id } : {}),
  };
}

export function pagewatchRoutes(app: App, deps: PagewatchRoutesDeps): void {
  merchantPageRoutes(app, deps);
  merchantPageChanges(app, deps);
  operatorPageRoutes(app, deps);
}

function merchantPageRoutes(app: App, deps: PagewatchRoutesDeps): void {
  const { pagewatch: w } = deps;
  const read = { preHandler: deps.requireMerchantKey('pages:read') };
  const tag = 'Payment pages';
  app.get(
    '/v1/pages',
    { ...read, schema: { summary: 'Watched checkout pages', tags: [tag] } },
    async (req) => ({
      monitor: w.status(),
      data: (await w.list(deps.merchantOf(req).merchantId)).map(pageJson),
    }),
  );
  app.post(
    '/v1/pages',
    {
      ...deps.merchantWrite('pages:write'),
      schema: {
        summary: 'Register a checkout page to watch',
        description:
          'The URL must be https:// and resolve only to public addresses (refused: private, ' +
          'loopback, link-local, metadata and reserved ones), checked now and at every load.',
        tags: [tag],
        body: closed({ url: freeText(2048, 8), label: Type.Optional(freeText(200, 1)) }),
      },
    },
    async (req, reply) => {
      const m = deps.merchantOf(req);
      const page = await w.register(m.merchantId, req.body, m.actor);
      return reply.status(201).send(pageJson(page));
    },
  );
  app.get(
    '/v1/pages/:id',
    {
      ...read,
      schema: {
        summary: 'A watched page: state, newest load, difference',
        tags: [tag],
        params: idParams,
      },
    },
    async (req) => viewJson(await w.view(deps.merchantOf(req).merchantId, req.params.id), false),
  );
  app.get(
    '/v1/pages/:id/observations',
    { ...read, schema: { summary: 'A page’s loads, newest first', tags: [tag], params: idParams } },
    async (req) => ({
      data: (await w.observations(deps.merchantOf(req).merchantId, req.params.id)).map(
        observationJson,
      ),
    }),
  );
}

function merchantPageChanges(app: App, deps: PagewatchRoutesDeps): void {
  const { pagewatch: w } = deps;
  const read = { preHandler: deps.requireMerchantKey('pages:read') };
  const tag = 'Payment pages';
  app.post(
    '/v1/pages/:id/approve',
    {
      ...deps.merchantWrite('pages:write'),
      schema: {
        summary: 'Approve what the page serves now as its inventory',
        tags: [tag],
        params: idParams,
        body: approveBody,
      },
    },
    async (req) => {
      const m = deps.merchantOf(req);
      const r = {
        pageId: req.params.id,
        observationId: req.body.observation_id,
        reason: req.body.reason,
      };
      return viewJson(await w.approve(m.merchantId, r, m.actor), false);
    },
  );
  app.delete(
    '/v1/pages/:id',
    {
      preHandler: deps.requireMerchantKey('pages:write'),
      schema: { summary: 'Stop watching a page', tags: [tag], params: idParams },
    },
    async (req, reply) => {
      const m = deps.merchantOf(req);
      await w.remove(m.merchantId, req.params.id, m.actor);
      return reply.status(204).send();
    },
  );
  app.get(
    '/v1/page_alerts',
    { ...read, schema: { summary: 'Unapproved changes seen on your pages', tags: [tag] } },
    async (req) => ({
      monitor: w.status(),
      data: (await w.alerts(deps.merchantOf(req).merchantId)).map((a) => alertJson(a, false)),
    }),
  );
}

function operatorPageRoutes(app: App, deps: PagewatchRoutesDeps): void {
  const { pagewatch: w } = deps;
  const read = { preHandler: deps.requireOperator('pages.read') };
  const tag = 'Payment pages';
  app.get(
    '/v1/operator/pages',
    { ...read, schema: { summary: 'Every watched page (operators)', tags: [tag] } },
    async () => ({
      monitor: w.status(),
      data: (await w.list(undefined)).map(pageJson),
    }),
  );
  app.get(
    '/v1/operator/pages/:id',
    { ...read, schema: { summary: 'A watched page (operators)', tags: [tag], params: idParams } },
    async (req) => viewJson(await w.view(undefined, req.params.id), true),
  );
  app.get(
    '/v1/operator/page_alerts',
    { ...read, schema: { summary: 'Every page alert (operators)', tags: [tag] } },
    async () => ({
      monitor: w.status(),
      data: (await w.alerts(undefined)).map((a) => alertJson(a, true)),
    }),
  );
  app.post(
    '/v1/operator/pages/:id/approve',
    {
      preValidation: deps.requireOperator('pages.approve'),
      schema: {
        summary: 'Approve the inventory of one of Kinko’s own payment pages (security admins)',
        tags: [tag],
        params: idParams,
        body: approveBody,
      },
    },
    async (req) => {
      const actor = { type: 'operator' as const, id: deps.operatorIdOf(req) };
      const r = {
        pageId: req.params.id,
        observationId: req.body.observation_id,
        reason: req.body.reason,
      };
      return viewJson(await w.approve(null, r, actor), true);
    },
  );
}

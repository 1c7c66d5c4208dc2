import type { FastifyInstance, FastifyRequest, preHandlerAsyncHookHandler } from 'fastify';
import {
  freeText,
  markSecretResponse,
  sourceOf,
  type Idempotency,
  type Source,
} from '../http/index.ts';
import type { Webhooks } from './service.ts';
import { URL_CHARACTERS_MAX } from './url.ts';

// /v1/webhook_endpoints and /v1/webhook_deliveries: thin handlers. Authentication and the
// merchant come from the merchants module, passed in as functions so that this module
// depends on no other module's internals.

export interface WebhookRoutesDeps {
  webhooks: Webhooks;
  idempotency: Idempotency;
  /** requireMerchantKey from merchants: a preHandler per scope. */
  requireMerchantKey(scope: 'webhooks:read' | 'webhooks:write'): preHandlerAsyncHookHandler;
  /** The authenticated merchant and key of a request (merchants' merchantKeyOf). */
  merchantKeyOf(req: FastifyRequest): { merchantId: string; keyId: string };
  /** The idempotency scope of a request (merchants' merchantScopeOf). */
  merchantScopeOf(req: FastifyRequest): string;
}

const closed = (properties: Record<string, unknown>, required: string[] = []) => ({
  type: 'object',
  additionalProperties: false,
  properties,
  required,
});
const idParams = closed({ id: { type: 'string', minLength: 1, maxLength: 80 } }, ['id']);
const eventTypes = {
  type: 'array',
  minItems: 1,
  maxItems: 64,
  items: { type: 'string', minLength: 1, maxLength: 100 },
};
const overlap = closed({ overlap_seconds: { type: 'integer', minimum: 0 } });

type EndpointBody = {
  url: string;
  event_types: string[];
  description?: string | null;
  status?: 'enabled' | 'disabled';
};

export function webhookRoutes(app: FastifyInstance, deps: WebhookRoutesDeps): void {
  const read = { preHandler: deps.requireMerchantKey('webhooks:read') };
  const write = deps.idempotency.route(
    deps.requireMerchantKey('webhooks:write'),
    deps.merchantScopeOf,
  );
  const who = (req: FastifyRequest) => {
    const p = deps.merchantKeyOf(req);
    return {
      merchantId: p.merchantId,
      actor: { type: 'api_key' as const, id: p.keyId },
      source: sourceOf(req),
    };
  };
  endpointRoutes(app, deps, read, write, who);
  deliveryRoutes(app, deps, read, write, who);
}

type Who = (req: FastifyRequest) => {
  merchantId: string;
  actor: { type: 'api_key'; id: string };
  source: Source;
};

const fields = {
  url: freeText(URL_CHARACTERS_MAX, 1),
  event_types: eventTypes,
  description: { ...freeText(500), type: ['string', 'null'] },
  status: { type: 'string', enum: ['enabled', 'disabled'] },
};
const input = (b: Partial<EndpointBody>) => ({
  url: b.url,
  eventTypes: b.event_types,
  description: b.description,
  status: b.status,
});

function endpointRoutes(
  app: FastifyInstance,
  deps: WebhookRoutesDeps,
  read: object,
  write: object,
  who: Who,
): void {
  const w = deps.webhooks;

  app.post<{ Body: EndpointBody }>(
    '/v1/webhook_endpoints',
    {
      ...write,
      schema: {
        summary: 'Register an endpoint; its signing secret is shown once',
        body: closed(fields, ['url', 'event_types']),
      },
    },
    async (req, reply) => {
      markSecretResponse(req);
      const c = who(req);
      const r = await w.createEndpoint(
        c.merchantId,
        { ...input(req.body), url: req.body.url, eventTypes: req.body.event_types },
        c.actor,
        c.source,
      );
      return reply.status(201).send({ ...r.endpoint, secret: r.secret });
    },
  );
  app.get('/v1/webhook_endpoints', { ...read, schema: { summary: 'List endpoints' } }, (req) =>
    w.listEndpoints(who(req).merchantId).then((data) => ({ data })),
  );
  app.get<{ Params: { id: string } }>(
    '/v1/webhook_endpoints/:id',
    { ...read, schema: { summary: 'Retrieve an endpoint', params: idParams } },
    (req) => w.getEndpoint(who(req).merchantId, req.params.id),
  );
  app.post<{ Params: { id: string }; Body: Partial<EndpointBody> }>(
    '/v1/webhook_endpoints/:id',
    { ...write, schema: { summary: 'Update an endpoint', params: idParams, body: closed(fields) } },
    (req) => {
      const c = who(req);
      return w.updateEndpoint(c.merchantId, req.params.id, input(req.body), c.actor, c.source);
    },
  );
  app.delete<{ Params: { id: string } }>(
    '/v1/webhook_endpoints/:id',
    {
      preHandler: deps.requireMerchantKey('webhooks:write'),
      schema: { summary: 'Delete an endpoint', params: idParams },
    },
    async (req) => {
      const c = who(req);
      await w.deleteEndpoint(c.merchantId, req.params.id, c.actor, c.source);
      return { id: req.params.id, deleted: true };
    },
  );
}

function deliveryRoutes(
  app: FastifyInstance,
  deps: WebhookRoutesDeps,
  read: object,
  write: object,
  who: Who,
): void {
  const w = deps.webhooks;
  app.post<{ Params: { id: string }; Body: { overlap_seconds?: number } }>(
    '/v1/webhook_endpoints/:id/rotate_secret',
    {
      ...write,
      schema: {
        summary: 'New secret now; the old one also signs until its overlap ends',
        params: idParams,
        body: overlap,
      },
    },
    async (req) => {
      markSecretResponse(req);
      const c = who(req);
      const o = { overlapSeconds: req.body.overlap_seconds };
      const r = await w.rotateSecret(c.merchantId, req.params.id, o, c.actor, c.source);
      return { ...r.endpoint, secret: r.secret };
    },
  );
  app.get<{ Params: { id: string } }>(
    '/v1/webhook_endpoints/:id/deliveries',
    { ...read, schema: { summary: 'Recent deliveries to an endpoint', params: idParams } },
    (req) => w.listDeliveries(who(req).merchantId, req.params.id).then((data) => ({ data })),
  );
  app.get<{ Params: { id: string } }>(
    '/v1/webhook_deliveries/:id',
    { ...read, schema: { summary: 'A delivery with its attempt log', params: idParams } },
    (req) => w.getDelivery(who(req).merchantId, req.params.id),
  );
  app.post<{ Params: { id: string } }>(
    '/v1/webhook_deliveries/:id/resend',
    {
      ...write,
      schema: { summary: 'Attempt a delivery again now', params: idParams, body: closed({}) },
    },
    async (req) => {
      const c = who(req);
      const r = await w.resend(c.merchantId, req.params.id, c.actor, c.source);
      return { ...(await w.getDelivery(c.merchantId, req.params.id)), delivered: r.delivered };
    },
  );
}

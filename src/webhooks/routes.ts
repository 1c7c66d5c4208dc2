import type { FastifyRequest, preHandlerAsyncHookHandler } from 'fastify';
import {
  closed,
  freeText,
  idParams as idParamsOf,
  listQuery,
  listQueryOf,
  markSecretResponse,
  oneOf,
  orNull,
  sourceOf,
  Type,
  type App,
  type Idempotency,
  type Source,
  type Static,
} from '../http/index.ts';
import type { Webhooks } from './service.ts';
import { URL_CHARACTERS_MAX } from './url.ts';

// /v1/webhook_endpoints and /v1/webhook_deliveries: thin handlers. Authentication and the
// merchant come from the merchants module, passed in as functions so that this module
// depends on no other module's internals.

interface WebhookRoutesDeps {
  webhooks: Webhooks;
  idempotency: Idempotency;
  /** requireMerchantKey from merchants: a preHandler per scope. */
  requireMerchantKey(scope: 'webhooks:read' | 'webhooks:write'): preHandlerAsyncHookHandler;
  /** The authenticated merchant and key of a request (merchants' merchantKeyOf). */
  merchantKeyOf(req: FastifyRequest): {
    merchantId: string;
    actor: { type: 'api_key' | 'merchant_person'; id: string };
  };
  /** The idempotency scope of a request (merchants' merchantScopeOf). */
  merchantScopeOf(req: FastifyRequest): string;
}

const idParams = idParamsOf();
const eventTypes = Type.Array(Type.String({ minLength: 1, maxLength: 100 }), {
  minItems: 1,
  maxItems: 64,
});
const overlap = closed({ overlap_seconds: Type.Optional(Type.Integer({ minimum: 0 })) });

export function webhookRoutes(app: App, deps: WebhookRoutesDeps): void {
  const read = { preHandler: deps.requireMerchantKey('webhooks:read') };
  const write = deps.idempotency.route(
    deps.requireMerchantKey('webhooks:write'),
    deps.merchantScopeOf,
  );
  const who = (req: FastifyRequest) => {
    const p = deps.merchantKeyOf(req);
    return {
      merchantId: p.merchantId,
      actor: p.actor,
      source: sourceOf(req),
    };
  };
  endpointRoutes(app, deps, read, write, who);
  deliveryRoutes(app, deps, read, write, who);
}

type Who = (req: FastifyRequest) => {
  merchantId: string;
  actor: { type: 'api_key' | 'merchant_person'; id: string };
  source: Source;
};

const url = freeText(URL_CHARACTERS_MAX, 1);
const optionalFields = {
  description: Type.Optional(orNull(freeText(500))),
  status: Type.Optional(oneOf(['enabled', 'disabled'])),
};
const createBody = closed({ url, event_types: eventTypes, ...optionalFields });
const updateBody = closed({
  url: Type.Optional(url),
  event_types: Type.Optional(eventTypes),
  ...optionalFields,
});
const input = (b: Static<typeof updateBody>) => ({
  url: b.url,
  eventTypes: b.event_types,
  description: b.description,
  status: b.status,
});

function endpointRoutes(
  app: App,
  deps: WebhookRoutesDeps,
  read: object,
  write: object,
  who: Who,
): void {
  const w = deps.webhooks;

  app.post(
    '/v1/webhook_endpoints',
    {
      ...write,
      schema: {
        summary: 'Register an endpoint; its signing secret is shown once',
        body: createBody,
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
  app.get(
    '/v1/webhook_endpoints/:id',
    { ...read, schema: { summary: 'Retrieve an endpoint', params: idParams } },
    (req) => w.getEndpoint(who(req).merchantId, req.params.id),
  );
  app.post(
    '/v1/webhook_endpoints/:id',
    { ...write, schema: { summary: 'Update an endpoint', params: idParams, body: updateBody } },
    (req) => {
      const c = who(req);
      return w.updateEndpoint(c.merchantId, req.params.id, input(req.body), c.actor, c.source);
    },
  );
  app.delete(
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
  app: App,
  deps: WebhookRoutesDeps,
  read: object,
  write: object,
  who: Who,
): void {
  const w = deps.webhooks;
  app.post(
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
  app.get(
    '/v1/webhook_endpoints/:id/deliveries',
    {
      ...read,
      schema: {
        summary: 'Deliveries to an endpoint, newest first',
        description:
          'Paged as every list: limit (1–100, default 10), starting_after or ending_before ' +
          '(a delivery id, whd_…), created[gte|gt|lte|lt] in unix seconds; the answer is ' +
          '{ object: "list", data, has_more }.',
        params: idParams,
        querystring: listQuery({}, 'whd'),
      },
    },
    (req) => w.listDeliveries(who(req).merchantId, req.params.id, listQueryOf(req.query)),
  );
  app.get(
    '/v1/webhook_deliveries/:id',
    { ...read, schema: { summary: 'A delivery with its attempt log', params: idParams } },
    (req) => w.getDelivery(who(req).merchantId, req.params.id),
  );
  app.post(
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

import type { FastifyRequest } from 'fastify';
import {
  closed,
  freeText,
  httpError,
  idParams as idParamsOf,
  markSecretResponse,
  oneOf,
  sourceOf,
  Type,
  type App,
  type Idempotency,
} from '../http/index.ts';
import { merchantKeyOf, merchantScopeOf } from './http.ts';
import type { AccessScope, KeyMode } from './keys.ts';
import { SCOPES } from './keys.ts';
import type { Merchants } from './service.ts';

// The merchant's own records under /v1: stores, terminals, API keys and allowed origins.
// Thin handlers: the schema validates, one call to the module, the view is the answer.

interface MerchantRoutesDeps {
  merchants: Merchants;
  idempotency: Idempotency;
}

/** Names and places the merchant writes and Kinko shows back: no card number inside. */
const text = (max: number) => freeText(max, 1);
const idParams = idParamsOf();

function actorOf(req: FastifyRequest) {
  return merchantKeyOf(req).actor;
}

export function merchantRoutes(app: App, deps: MerchantRoutesDeps): void {
  const { merchants: m, idempotency } = deps;
  const read = (scope: AccessScope) => ({ preHandler: m.requireMerchantKey(scope) });
  const write = (scope: AccessScope) =>
    idempotency.route(m.requireMerchantKey(scope), merchantScopeOf);
  storeRoutes(app, m, read, write);
  terminalRoutes(app, m, read, write);
  originRoutes(app, m, read, write);
  keyRoutes(app, m, read, write);
  rollRoutes(app, m, write);
  m.teamRoutes(app);
}

type Read = (scope: AccessScope) => object;
type Write = Read;

function storeRoutes(app: App, m: Merchants, read: Read, write: Write): void {
  app.get('/v1/stores', { ...read('merchants:read'), schema: { summary: 'List stores' } }, (req) =>
    m.listStores(merchantKeyOf(req).merchantId).then((data) => ({ data })),
  );
  app.post(
    '/v1/stores',
    {
      ...write('merchants:write'),
      schema: {
        summary: 'Create a store',
        body: closed({
          name: text(200),
          mcc: Type.String({ pattern: '^[0-9]{4}$' }),
          city: text(100),
          postal_code: text(16),
        }),
      },
    },
    async (req, reply) => {
      const b = req.body;
      const input = { name: b.name, mcc: b.mcc, city: b.city, postalCode: b.postal_code };
      const s = await m.createStore(
        merchantKeyOf(req).merchantId,
        input,
        actorOf(req),
        sourceOf(req),
      );
      return reply.status(201).send(s);
    },
  );
}

const TERMINAL_MODE = oneOf(['live', 'test'], {
  description:
    'Fixed at creation. A test terminal signs in but its wallet payments are refused with ' +
    '400 livemode_required. Default: the mode of the key that creates it; a test key ' +
    'creates test terminals only.',
});

const TERMINAL = Type.Object({
  id: Type.String(),
  merchant_id: Type.String(),
  store_id: Type.String(),
  name: Type.String(),
  secret_prefix: Type.String(),
  status: oneOf(['active', 'revoked']),
  mode: TERMINAL_MODE,
  last_used_at: Type.Optional(Type.Union([Type.String(), Type.Null()])),
  created_at: Type.Optional(Type.String()),
});

/**
 * A terminal takes the mode of the key that creates it unless told otherwise, and a test key
 * may not create a live terminal: a merchant set up for testing must not get a register that
 * charges real wallets.
 */
function terminalModeOf(req: FastifyRequest, asked: KeyMode | undefined): KeyMode {
  const keyMode = merchantKeyOf(req).mode;
  if (keyMode === 'test' && asked === 'live') {
    throw httpError('parameter_invalid', {
      param: 'mode',
      message: 'A test-mode key creates test terminals only; use a live key for a live one.',
    });
  }
  return asked ?? keyMode;
}

function terminalRoutes(app: App, m: Merchants, read: Read, write: Write): void {
  app.get(
    '/v1/terminals',
    {
      ...read('merchants:read'),
      schema: {
        summary: 'List terminals (registers)',
        response: {
          200: Type.Object({ data: Type.Optional(Type.Array(TERMINAL)) }),
        },
      },
    },
    (req) => m.listTerminals(merchantKeyOf(req).merchantId).then((data) => ({ data })),
  );
  app.post(
    '/v1/terminals',
    {
      ...write('merchants:write'),
      schema: {
        summary: 'Create a terminal; its secret is shown once',
        body: closed({
          store_id: Type.String({ minLength: 1, maxLength: 80 }),
          name: text(200),
          mode: Type.Optional(TERMINAL_MODE),
        }),
      },
    },
    async (req, reply) => {
      markSecretResponse(req);
      const mode = terminalModeOf(req, req.body.mode);
      const input = { storeId: req.body.store_id, name: req.body.name, mode };
      const t = await m.createTerminal(
        merchantKeyOf(req).merchantId,
        input,
        actorOf(req),
        sourceOf(req),
      );
      return reply.status(201).send({ ...t.terminal, secret: t.secret });
    },
  );
}

function originRoutes(app: App, m: Merchants, read: Read, write: Write): void {
  app.get(
    '/v1/allowed_origins',
    { ...read('merchants:read'), schema: { summary: 'Origins that may embed hosted fields' } },
    async (req) => ({ origins: await m.allowedOrigins(merchantKeyOf(req).merchantId) }),
  );
  app.post(
    '/v1/allowed_origins',
    {
      ...write('merchants:write'),
      schema: {
        summary: 'Replace the allowed origins',
        body: closed({ origins: Type.Array(text(300), { maxItems: 100 }) }),
      },
    },
    async (req) => {
      const id = merchantKeyOf(req).merchantId;
      return {
        origins: await m.setAllowedOrigins(id, req.body.origins, actorOf(req), sourceOf(req)),
      };
    },
  );
}

function keyRoutes(app: App, m: Merchants, read: Read, write: Write): void {
  app.get(
    '/v1/api_keys',
    { ...read('merchants:read'), schema: { summary: 'List API keys' } },
    (req) => m.listApiKeys(merchantKeyOf(req).merchantId).then((data) => ({ data })),
  );
  app.post(
    '/v1/api_keys',
    {
      ...write('keys:write'),
      schema: {
        summary: 'Create an API key; a secret or restricted key is shown once',
        body: closed({
          kind: oneOf(['secret', 'restricted', 'publishable']),
          name: Type.Optional(text(100)),
          scopes: Type.Optional(Type.Array(oneOf(SCOPES), { maxItems: SCOPES.length })),
        }),
      },
    },
    async (req, reply) => {
      markSecretResponse(req);
      const p = merchantKeyOf(req);
      const input = { ...req.body, mode: p.mode };
      const r = await m.createApiKey(p.merchantId, input, actorOf(req), sourceOf(req));
      return reply
        .status(201)
        .send({ ...r.key, secret: r.key.kind === 'publishable' ? null : r.value });
    },
  );
}

function rollRoutes(app: App, m: Merchants, write: Write): void {
  app.post(
    '/v1/api_keys/:id/roll',
    {
      ...write('keys:write'),
      schema: {
        summary: 'Roll a key: a replacement now, the old key works until expires_at',
        params: idParams,
        body: closed({ overlap_seconds: Type.Optional(Type.Integer({ minimum: 0 })) }),
      },
    },
    async (req) => {
      markSecretResponse(req);
      const p = merchantKeyOf(req);
      const overlap = { overlapSeconds: req.body.overlap_seconds };
      const r = await m.rollApiKey(
        p.merchantId,
        req.params.id,
        overlap,
        actorOf(req),
        sourceOf(req),
      );
      const secret = r.key.kind === 'publishable' ? null : r.value;
      return { ...r.key, secret, previous: r.previous };
    },
  );
  app.post(
    '/v1/api_keys/:id/revoke',
    {
      ...write('keys:write'),
      schema: { summary: 'Revoke a key at once', params: idParams, body: closed({}) },
    },
    (req) =>
      m.revokeApiKey(merchantKeyOf(req).merchantId, req.params.id, actorOf(req), sourceOf(req)),
  );
}

import type { FastifyInstance, FastifyRequest, preHandlerAsyncHookHandler } from 'fastify';
import {
  freeText,
  listQuery,
  listQueryOf,
  type Idempotency,
  type RawQuery,
} from '../http/index.ts';
import type { Caller } from './context.ts';
import type { WebPayments } from './service.ts';
import type { CancellationReason } from './cancel.ts';

// /v1/payments, /v1/refunds and /v1/balance_transactions: thin handlers (validate → one
// call → the object). Every POST goes through the Idempotency-Key layer, scoped per merchant
// and mode; every route needs a merchant API key with the scope named.

type Scope = 'payments:read' | 'payments:write' | 'refunds:write';

export interface WebPaymentRoutesDeps {
  payments: WebPayments;
  idempotency: Idempotency;
  requireMerchantKey(scope: Scope): preHandlerAsyncHookHandler;
  merchantKeyOf(req: FastifyRequest): { merchantId: string; keyId: string; mode: string };
  merchantScopeOf(req: FastifyRequest): string;
}

const closed = (properties: Record<string, unknown>, required: string[] = []) => ({
  type: 'object',
  additionalProperties: false,
  properties,
  required,
});

// Amounts are integers of minor units, exact in JSON: at most 2^53 − 1.
const amount = { type: 'integer', minimum: 1, maximum: Number.MAX_SAFE_INTEGER };
const metadata = {
  type: 'object',
  maxProperties: 20,
  // Keys are stored and sent in webhooks as the values are: no card number in either.
  propertyNames: { ...freeText(40, 1), pattern: '^[A-Za-z0-9_.-]{1,40}$' },
  additionalProperties: freeText(500),
};
const cardToken = { type: 'string', pattern: '^card_[A-Za-z0-9_-]{8,64}$' };
// Free text the merchant sends is stored and shown back: a card number in it is refused.
const text = freeText(1000, 1);
const descriptor = { ...freeText(22, 5), pattern: '^[A-Za-z0-9 .,&/_-]{5,22}$' };
const refundReason = { type: 'string', enum: ['duplicate', 'fraudulent', 'requested_by_customer'] };
const id = (prefix: string) => ({ type: 'string', pattern: `^${prefix}_[A-Za-z0-9_-]{8,64}$` });
const idParams = closed({ id: id('pay') }, ['id']);
const refundFields = { amount, reason: refundReason, metadata };

const big = (n: number | undefined) => (n === undefined ? undefined : BigInt(n));

export function webPaymentRoutes(app: FastifyInstance, deps: WebPaymentRoutesDeps): void {
  const who = (req: FastifyRequest): Caller => {
    const p = deps.merchantKeyOf(req);
    return {
      merchantId: p.merchantId,
      livemode: p.mode === 'live',
      actor: { type: 'api_key', id: p.keyId },
      source: { ip: req.ip, requestId: req.id },
    };
  };
  const write = (scope: Scope) =>
    deps.idempotency.route(deps.requireMerchantKey(scope), deps.merchantScopeOf);
  const read = { preHandler: deps.requireMerchantKey('payments:read') };
  paymentWrites(app, deps.payments, write('payments:write'), who);
  refundWrites(app, deps.payments, write('refunds:write'), who);
  reads(app, deps.payments, read, who);
}

type Who = (req: FastifyRequest) => Caller;

interface CreateBody {
  amount: number;
  currency: string;
  payment_method?: string;
  capture_method?: 'automatic' | 'manual';
  description?: string;
  statement_descriptor?: string;
  metadata?: Record<string, string>;
}
type UpdateBody = Pick<
  CreateBody,
  'payment_method' | 'description' | 'statement_descriptor' | 'metadata'
>;
const updateFields = {
  payment_method: cardToken,
  description: text,
  statement_descriptor: descriptor,
  metadata,
};

function paymentWrites(app: FastifyInstance, w: WebPayments, opts: object, who: Who): void {
  const createSchema = closed(
    {
      ...updateFields,
      amount,
      currency: { type: 'string', pattern: '^[A-Za-z]{3}$' },
      capture_method: { type: 'string', enum: ['automatic', 'manual'] },
    },
    ['amount', 'currency'],
  );
  app.post<{ Body: CreateBody }>(
    '/v1/payments',
    { ...opts, schema: { summary: 'Create a web payment', body: createSchema } },
    async (req, reply) => {
      const b = req.body;
      const p = await w.create(who(req), {
        amount: BigInt(b.amount),
        currency: b.currency,
        paymentMethod: b.payment_method,
        captureMethod: b.capture_method,
        description: b.description,
        statementDescriptor: b.statement_descriptor,
        metadata: b.metadata,
      });
      return reply.status(201).send(p);
    },
  );
  app.post<{ Params: { id: string }; Body: UpdateBody }>(
    '/v1/payments/:id',
    {
      ...opts,
      schema: {
        summary: 'Update a payment (e.g. its card)',
        params: idParams,
        body: closed(updateFields),
      },
    },
    (req) =>
      w.update(who(req), req.params.id, {
        paymentMethod: req.body.payment_method,
        description: req.body.description,
        statementDescriptor: req.body.statement_descriptor,
        metadata: req.body.metadata,
      }),
  );
  lifecycleWrites(app, w, opts, who);
}

/** Confirm, capture and cancel: the calls that reach the card network. */
function lifecycleWrites(app: FastifyInstance, w: WebPayments, opts: object, who: Who): void {
  app.post<{ Params: { id: string } }>(
    '/v1/payments/:id/confirm',
    {
      ...opts,
      schema: {
        summary: 'Confirm: authorize the card (3-D Secure when asked); again to resume',
        params: idParams,
        body: closed({}),
      },
    },
    (req) => w.confirm(who(req), req.params.id),
  );
  app.post<{ Params: { id: string }; Body: { amount_to_capture?: number } }>(
    '/v1/payments/:id/capture',
    {
      ...opts,
      schema: {
        summary: 'Capture all or part of the authorization',
        params: idParams,
        body: closed({ amount_to_capture: amount }),
      },
    },
    (req) => w.capture(who(req), req.params.id, big(req.body.amount_to_capture)),
  );
  const reasons = ['duplicate', 'fraudulent', 'requested_by_customer', 'abandoned'];
  app.post<{ Params: { id: string }; Body: { cancellation_reason?: CancellationReason } }>(
    '/v1/payments/:id/cancel',
    {
      ...opts,
      schema: {
        summary: 'Cancel; an authorization is voided',
        params: idParams,
        body: closed({ cancellation_reason: { type: 'string', enum: reasons } }),
      },
    },
    (req) => w.cancel(who(req), req.params.id, req.body.cancellation_reason),
  );
}

interface RefundBody {
  payment?: string;
  amount?: number;
  reason?: 'duplicate' | 'fraudulent' | 'requested_by_customer';
  metadata?: Record<string, string>;
}

function refundWrites(app: FastifyInstance, w: WebPayments, opts: object, who: Who): void {
  const refund = (req: FastifyRequest, payment: string, b: RefundBody) =>
    w.createRefund(who(req), {
      payment,
      amount: big(b.amount),
      reason: b.reason,
      metadata: b.metadata,
    });
  app.post<{ Body: RefundBody & { payment: string } }>(
    '/v1/refunds',
    {
      ...opts,
      schema: {
        summary: 'Refund a payment, all or part',
        body: closed({ ...refundFields, payment: id('pay') }, ['payment']),
      },
    },
    async (req, reply) => reply.status(201).send(await refund(req, req.body.payment, req.body)),
  );
  app.post<{ Params: { id: string }; Body: RefundBody }>(
    '/v1/payments/:id/refunds',
    {
      ...opts,
      schema: {
        summary: 'Refund this payment, all or part',
        params: idParams,
        body: closed(refundFields),
      },
    },
    async (req, reply) => reply.status(201).send(await refund(req, req.params.id, req.body)),
  );
}

function reads(app: FastifyInstance, w: WebPayments, opts: object, who: Who): void {
  const statuses = {
    type: 'string',
    enum: [
      ...['requires_payment_method', 'requires_confirmation', 'requires_action'],
      'processing',
      'requires_capture',
      'succeeded',
      'canceled',
    ],
  };
  app.get<{ Querystring: RawQuery }>(
    '/v1/payments',
    {
      ...opts,
      schema: {
        summary: 'List payments, newest first',
        querystring: listQuery({ status: statuses }, 'pay'),
      },
    },
    (req) => w.list(who(req), listQueryOf(req.query)),
  );
  app.get<{ Params: { id: string } }>(
    '/v1/payments/:id',
    { ...opts, schema: { summary: 'Retrieve a payment', params: idParams } },
    (req) => w.get(who(req), req.params.id),
  );
  app.get<{ Querystring: RawQuery }>(
    '/v1/refunds',
    {
      ...opts,
      schema: {
        summary: 'List refunds, newest first',
        querystring: listQuery({ payment: id('pay') }, 'ref'),
      },
    },
    (req) => w.listRefunds(who(req), listQueryOf(req.query)),
  );
  app.get<{ Params: { id: string } }>(
    '/v1/refunds/:id',
    {
      ...opts,
      schema: { summary: 'Retrieve a refund', params: closed({ id: id('ref') }, ['id']) },
    },
    (req) => w.getRefund(who(req), req.params.id),
  );
  app.get<{ Querystring: RawQuery }>(
    '/v1/balance_transactions',
    {
      ...opts,
      schema: {
        summary: 'Movements on the merchant’s balance, newest first',
        description:
          'Every posted movement: web payment captures (type payment) and refunds (refund), ' +
          'wallet payments at a register (code_payment) or by store QR (store_payment) and ' +
          'their refunds (wallet_refund, negative). Test-mode keys see only test movements.',
        querystring: listQuery({}, 'txn'),
      },
    },
    (req) => w.listBalanceTransactions(who(req), listQueryOf(req.query)),
  );
}

import type { FastifyRequest, preHandlerAsyncHookHandler } from 'fastify';
import {
  amount as amountUpTo,
  closed,
  freeText,
  id,
  idParams,
  JSON_AMOUNT_MAX,
  listQuery,
  listQueryOf,
  oneOf,
  sourceOf,
  textRecord,
  Type,
  type App,
  type Idempotency,
  type Static,
} from '../http/index.ts';
import type { Caller } from './context.ts';
import { merchantsError } from '../merchants/index.ts';
import type { WebPayments } from './service.ts';
import { checkoutError } from './errors.ts';

// /v1/payments, /v1/refunds and /v1/balance_transactions: thin handlers (validate → one
// call → the object). Every POST goes through the Idempotency-Key layer, scoped per merchant
// and mode; every route needs a merchant API key with the scope named.

type Scope = 'payments:read' | 'payments:write' | 'refunds:write';

interface WebPaymentRoutesDeps {
  payments: WebPayments;
  idempotency: Idempotency;
  requireMerchantKey(scope: Scope): preHandlerAsyncHookHandler;
  merchantKeyOf(req: FastifyRequest): {
    merchantId: string;
    actor: { type: 'api_key' | 'merchant_person'; id: string };
    mode: string;
    /** A store manager's stores: web payments belong to no store, so they refund none. */
    storeIds: string[] | null;
  };
  merchantScopeOf(req: FastifyRequest): string;
}

// Amounts are integers of minor units, exact in JSON: at most 2^53 − 1.
const amount = Type.Optional(amountUpTo(JSON_AMOUNT_MAX));
// Keys are stored and sent in webhooks as the values are: no card number in either.
const metadata = Type.Optional(
  textRecord({ ...freeText(40, 1), pattern: '^[A-Za-z0-9_.-]{1,40}$' }, freeText(500), 20),
);
const cardToken = Type.Optional(id('card'));
// Free text the merchant sends is stored and shown back: a card number in it is refused.
const text = Type.Optional(freeText(1000, 1));
const descriptor = Type.Optional(freeText(22, 5, { pattern: '^[A-Za-z0-9 .,&/_-]{5,22}$' }));
const refundReason = Type.Optional(oneOf(['duplicate', 'fraudulent', 'requested_by_customer']));
const refundFields = { amount, reason: refundReason, metadata };

const big = (n: number | undefined) => (n === undefined ? undefined : BigInt(n));

export function webPaymentRoutes(app: App, deps: WebPaymentRoutesDeps): void {
  const who = (req: FastifyRequest): Caller => {
    const p = deps.merchantKeyOf(req);
    return {
      merchantId: p.merchantId,
      livemode: p.mode === 'live',
      actor: p.actor,
      source: sourceOf(req),
    };
  };
  const write = (scope: Scope) =>
    deps.idempotency.route(deps.requireMerchantKey(scope), deps.merchantScopeOf);
  const read = { preHandler: deps.requireMerchantKey('payments:read') };
  paymentWrites(app, deps.payments, write('payments:write'), who);
  const refunder = (req: FastifyRequest): Caller => {
    if (deps.merchantKeyOf(req).storeIds) throw merchantsError('person_store_denied');
    return who(req);
  };
  refundWrites(app, deps.payments, write('refunds:write'), refunder);
  reads(app, deps.payments, read, who);
}

type Who = (req: FastifyRequest) => Caller;

const updateFields = {
  payment_method: cardToken,
  description: text,
  statement_descriptor: descriptor,
  metadata,
};
const idOfPayment = idParams('pay');

function paymentWrites(app: App, w: WebPayments, opts: object, who: Who): void {
  const createSchema = closed({
    ...updateFields,
    amount: amountUpTo(JSON_AMOUNT_MAX),
    currency: Type.String({ pattern: '^[A-Za-z]{3}$' }),
    capture_method: Type.Optional(oneOf(['automatic', 'manual'])),
  });
  app.post(
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
  app.post(
    '/v1/payments/:id',
    {
      ...opts,
      schema: {
        summary: 'Update a payment (e.g. its card)',
        params: idOfPayment,
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
function lifecycleWrites(app: App, w: WebPayments, opts: object, who: Who): void {
  app.post(
    '/v1/payments/:id/confirm',
    {
      ...opts,
      schema: {
        summary: 'Confirm: authorize the card (3-D Secure when asked); again to resume',
        description:
          'A new authorization is first decided by Kinko’s risk engine (card, merchant, the ' +
          'shopper’s network). Refused: 403 `payment_blocked_by_risk` with `reason`, words ' +
          'to show the shopper; the card is not charged and the payment is unchanged. A ' +
          'step-up answers `requires_action` with a 3-D Secure challenge, as an issuer would. ' +
          'A review authorizes the card (funds reserved, nothing captured) and answers ' +
          '`requires_review`, whatever the capture method: Kinko’s risk team decides ' +
          '(events payment.review_opened, then payment.review_closed with review.outcome). ' +
          'Approved, the payment is captured (automatic) or becomes `requires_capture` ' +
          '(manual); declined, its authorization is voided and it is `canceled` ' +
          '(cancellation_reason `review_declined`); still waiting when the authorization ' +
          'expires, it is voided and canceled (`expired`). While held, capture and confirm ' +
          'answer 409 `payment_under_review`; cancel voids the authorization.',
        params: idOfPayment,
        body: closed({}),
      },
    },
    (req) => w.confirm(who(req), req.params.id),
  );
  app.post(
    '/v1/payments/:id/capture',
    {
      ...opts,
      schema: {
        summary: 'Capture all or part of the authorization',
        description:
          'A payment held for review (`requires_review`) answers 409 `payment_under_review` ' +
          'and is unchanged; capture it once the review approved it (`requires_capture`).',
        params: idOfPayment,
        body: closed({ amount_to_capture: amount }),
      },
    },
    (req) => w.capture(who(req), req.params.id, big(req.body.amount_to_capture)),
  );
  const reasons = ['duplicate', 'fraudulent', 'requested_by_customer', 'abandoned'] as const;
  app.post(
    '/v1/payments/:id/cancel',
    {
      ...opts,
      schema: {
        summary: 'Cancel; an authorization is voided',
        description:
          'Also while the payment is held for review: its review is closed ' +
          '(payment.review_closed, outcome canceled). Kinko sets cancellation_reason ' +
          '`expired` (an authorization past its validity) and `review_declined` itself.',
        params: idOfPayment,
        body: closed({ cancellation_reason: Type.Optional(oneOf(reasons)) }),
      },
    },
    (req) => w.cancel(who(req), req.params.id, req.body.cancellation_reason),
  );
}

const refundBody = closed(refundFields);

function refundWrites(app: App, w: WebPayments, opts: object, who: Who): void {
  const refund = (req: FastifyRequest, payment: string, b: Static<typeof refundBody>) =>
    w.createRefund(who(req), {
      payment,
      amount: big(b.amount),
      reason: b.reason,
      metadata: b.metadata,
    });
  app.post(
    '/v1/refunds',
    {
      ...opts,
      schema: {
        summary: 'Refund a payment, all or part',
        body: closed({ ...refundFields, payment: id('pay') }),
      },
    },
    async (req, reply) => {
      // The payment is named by the body's `payment` here, not by a path id: say so.
      const r = await refund(req, req.body.payment, req.body).catch((e: unknown) => {
        if (!checkoutError.is(e, 'web_payment_not_found')) throw e;
        throw checkoutError('web_payment_not_found', { param: 'payment' });
      });
      return reply.status(201).send(r);
    },
  );
  app.post(
    '/v1/payments/:id/refunds',
    {
      ...opts,
      schema: {
        summary: 'Refund this payment, all or part',
        params: idOfPayment,
        body: refundBody,
      },
    },
    async (req, reply) => reply.status(201).send(await refund(req, req.params.id, req.body)),
  );
}

function reads(app: App, w: WebPayments, opts: object, who: Who): void {
  const statuses = oneOf([
    'requires_payment_method',
    'requires_confirmation',
    'requires_action',
    'processing',
    'requires_review',
    'requires_capture',
    'succeeded',
    'canceled',
  ]);
  app.get(
    '/v1/payments',
    {
      ...opts,
      schema: {
        summary: 'List payments, newest first',
        querystring: listQuery({ status: Type.Optional(statuses) }, 'pay'),
      },
    },
    (req) => w.list(who(req), listQueryOf(req.query)),
  );
  app.get(
    '/v1/payments/:id',
    { ...opts, schema: { summary: 'Retrieve a payment', params: idOfPayment } },
    (req) => w.get(who(req), req.params.id),
  );
  app.get(
    '/v1/refunds',
    {
      ...opts,
      schema: {
        summary: 'List refunds, newest first',
        querystring: listQuery({ payment: Type.Optional(id('pay')) }, 'ref'),
      },
    },
    (req) => w.listRefunds(who(req), listQueryOf(req.query)),
  );
  app.get(
    '/v1/refunds/:id',
    {
      ...opts,
      schema: { summary: 'Retrieve a refund', params: idParams('ref') },
    },
    (req) => w.getRefund(who(req), req.params.id),
  );
  app.get(
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

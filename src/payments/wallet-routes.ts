import type { FastifyRequest } from 'fastify';
import {
  amount as amountUpTo,
  closed,
  idParams,
  markSecretResponse,
  oneOf,
  orNull,
  sourceOf,
  Type,
  type App,
  type Idempotency,
} from '../http/index.ts';
import type { Identity } from '../identity/index.ts';
import { CUSTOMER_COOKIE, DEVICE_PROOF_HEADER, identityError } from '../identity/index.ts';
import type { Payments } from './payments.ts';

// /v1/wallet: the customer's wallet API. Thin handlers: validate, one payments call, answer.
// Money-moving routes sit behind identity's requireDeviceProof (bound device, recent strong
// factor, no hold, a fresh device signature) and an Idempotency-Key scoped to the customer.

interface WalletRoutesDeps {
  payments: Payments;
  identity: Pick<
    Identity,
    'requireCustomer' | 'requireDeviceProof' | 'customerOf' | 'verifyDeviceProof'
  >;
  idempotency: Idempotency;
}

const currency = Type.Optional(oneOf(['JPY']));
const cardToken = Type.String({ minLength: 1, maxLength: 100 });

export function walletRoutes(app: App, deps: WalletRoutesDeps): void {
  const { payments, identity } = deps;
  const customerScope = (req: FastifyRequest) => `customer:${identity.customerOf(req).customerId}`;
  const who = (req: FastifyRequest) => {
    const s = identity.customerOf(req);
    return { customerId: s.customerId, deviceId: s.deviceId, strongAuthAtMs: s.strongAuthAtMs };
  };
  const signedIn = { preHandler: identity.requireCustomer };

  app.get('/v1/wallet', { ...signedIn, schema: { summary: 'Balance, limits, hold' } }, (req) =>
    payments.wallet(identity.customerOf(req).customerId),
  );
  app.get(
    '/v1/wallet/history',
    {
      ...signedIn,
      schema: {
        summary: 'Top-ups, payments and refunds, newest first',
        querystring: closed({
          cursor: Type.Optional(Type.String({ maxLength: 200 })),
          limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 100 })),
        }),
      },
    },
    (req) => payments.history(identity.customerOf(req).customerId, req.query),
  );
  app.get(
    '/v1/wallet/cards',
    { ...signedIn, schema: { summary: 'Linked cards' } },
    async (req) => ({
      data: await payments.listCards(identity.customerOf(req).customerId),
    }),
  );
  app.post(
    '/v1/wallet/cards',
    {
      ...deps.idempotency.route(identity.requireDeviceProof('card_link'), customerScope),
      schema: {
        summary: 'Link a card tokenized in the hosted card fields',
        description:
          'Decided by the risk engine first. Refused: 403 `risk_card_link_blocked`; or 403 ' +
          '`risk_step_up_required` (step up, then retry). Both carry `reason` in plain words.',
        body: closed({ card_token: cardToken }),
      },
    },
    (req) => payments.linkCard(who(req), req.body.card_token, sourceOf(req)),
  );
  app.post(
    '/v1/wallet/account/delete',
    {
      preHandler: identity.requireDeviceProof('account_delete'),
      schema: {
        summary: 'Delete the account: cards shredded, sessions ended; the balance must be zero',
        body: closed({}),
      },
    },
    async (req, reply) => {
      const customerId = identity.customerOf(req).customerId;
      const r = await payments.deleteAccount(customerId, sourceOf(req));
      // The session is over: the browser forgets its cookie too.
      const gone = `${CUSTOMER_COOKIE}=; Path=/; Max-Age=0; HttpOnly; Secure; SameSite=Strict`;
      void reply.header('set-cookie', gone);
      return { deleted: r.deleted, cards_shredded: r.cardsShredded };
    },
  );
  topupRoutes(app, deps, customerScope, who);
  codeRoutes(app, deps, customerScope, who);
  codeWatchRoute(app, deps);
  limitRoutes(app, deps);
}

type Who = (req: FastifyRequest) => {
  customerId: string;
  deviceId: string | null;
  strongAuthAtMs: number | null;
};

function topupRoutes(
  app: App,
  deps: WalletRoutesDeps,
  customerScope: (req: FastifyRequest) => string,
  who: Who,
): void {
  const { payments, identity } = deps;
  const amount = amountUpTo(payments.limits.amountMinorMax);
  app.post(
    '/v1/wallet/topups',
    {
      ...deps.idempotency.route(identity.requireDeviceProof('topup'), customerScope),
      schema: {
        summary: 'Top up the wallet from a linked card (3-D Secure when required)',
        body: closed({ amount, currency, card_token: cardToken }),
      },
    },
    (req) =>
      payments.createTopup(
        who(req),
        {
          amount: BigInt(req.body.amount),
          currency: req.body.currency ?? 'JPY',
          cardToken: req.body.card_token,
        },
        sourceOf(req),
      ),
  );
  app.get(
    '/v1/wallet/topups/:id',
    { preHandler: identity.requireCustomer, schema: { params: idParams() } },
    (req) => payments.getTopup(who(req).customerId, req.params.id),
  );
  app.post(
    '/v1/wallet/topups/:id/confirm',
    {
      preHandler: identity.requireCustomer,
      schema: {
        summary: 'Finish a top-up after its 3-D Secure challenge (safe to repeat)',
        params: idParams(),
        body: closed({}),
      },
    },
    (req) => payments.resumeTopup(who(req).customerId, req.params.id, sourceOf(req)),
  );
}

function codeRoutes(
  app: App,
  deps: WalletRoutesDeps,
  customerScope: (req: FastifyRequest) => string,
  who: Who,
): void {
  const { payments, identity } = deps;
  // No Idempotency-Key: issuing moves no money, and a replay could not show the digits
  // again (they are redacted from stored answers); a retry simply gets a new code.
  app.post(
    '/v1/wallet/payment_codes',
    {
      preHandler: identity.requireDeviceProof('payment_code'),
      schema: { summary: 'Issue a one-time payment code (CPM)', body: closed({}) },
    },
    async (req) => {
      markSecretResponse(req);
      const w = who(req);
      if (!w.deviceId) throw identityError('device_required');
      return payments.issueCode({ customerId: w.customerId, deviceId: w.deviceId }, sourceOf(req));
    },
  );
  const amount = amountUpTo(payments.limits.amountMinorMax);
  app.post(
    '/v1/wallet/store_payments',
    {
      ...deps.idempotency.route(identity.requireDeviceProof('payment_code'), customerScope),
      schema: {
        summary: 'Pay a store by its scanned QR code (MPM)',
        description:
          'The payload must name an active store of a live merchant: a test-mode ' +
          "merchant's store answers 400 store_test_mode and nothing moves.",
        body: closed({ payload: Type.String({ minLength: 1, maxLength: 512 }), amount, currency }),
      },
    },
    (req) =>
      payments.payStore(
        who(req),
        {
          payload: req.body.payload,
          amount: BigInt(req.body.amount),
          currency: req.body.currency ?? 'JPY',
        },
        sourceOf(req),
      ),
  );
}

const optionalText = (description?: string) =>
  Type.Optional(Type.String(description ? { description } : {}));
const noticeSchema = Type.Object(
  {
    object: oneOf(['code_payment_notice']),
    payment: orNull(
      Type.Object({
        id: optionalText(),
        amount: optionalText('minor units'),
        currency: optionalText(),
        merchant_id: optionalText(),
        store_id: optionalText(),
        store_name: Type.Optional(orNull(Type.String())),
        created_at: Type.Optional(Type.String({ format: 'date-time' })),
      }),
    ),
    balance: optionalText('the wallet balance now (with a payment)'),
    retry_after_seconds: Type.Optional(
      Type.Integer({
        description: 'set when the server holds too many waits: ask again after this long',
      }),
    ),
  },
  {
    description:
      'The first register payment of a code this device showed, made after `after`; ' +
      '`payment` is null when the wait ended without one.',
  },
);

/**
 * Long polling for "the register charged my code": the signed-in wallet on its bound device
 * asks with the code's issued_at and is answered as soon as the payment commits (in any
 * process: code-watch.ts polls the database) or after wait_seconds with payment null.
 */
function codeWatchRoute(app: App, deps: WalletRoutesDeps): void {
  const { payments, identity } = deps;
  const watch = payments.createCodeWatch();
  const secondsMax = payments.limits.codeWatchSecondsMax;
  // Open waits are answered before the server stops taking requests, not cut off.
  app.addHook('preClose', (done) => {
    watch.close();
    done();
  });
  app.get(
    '/v1/wallet/code_payments/next',
    {
      preHandler: identity.requireCustomer,
      schema: {
        summary: 'Wait for the register to charge a payment code this device showed',
        description:
          'Long polling. Needs the customer session cookie, bound to a device (else ' +
          '`device_required`). Answers within about a second of the payment, or after ' +
          `wait_seconds (at most ${secondsMax}) with payment null; ask again then.`,
        querystring: closed({
          after: Type.String({ format: 'date-time', maxLength: 40 }),
          wait_seconds: Type.Optional(Type.Integer({ minimum: 0, maximum: secondsMax })),
        }),
        response: { 200: noticeSchema },
      },
    },
    async (req, reply) => {
      const s = identity.customerOf(req);
      if (!s.deviceId) throw identityError('device_required');
      const gone = new AbortController();
      reply.raw.once('close', () => gone.abort());
      const waitMs = (req.query.wait_seconds ?? secondsMax) * 1000;
      const who = { customerId: s.customerId, deviceId: s.deviceId };
      return watch.next(who, new Date(req.query.after), waitMs, gone.signal);
    },
  );
}

function limitRoutes(app: App, deps: WalletRoutesDeps): void {
  const { payments, identity } = deps;
  // A limit of your own, or null for none; never above the largest amount of one payment.
  const limit = orNull(amountUpTo(payments.limits.amountMinorMax));
  app.put(
    '/v1/wallet/limits',
    {
      preHandler: identity.requireCustomer,
      schema: {
        summary: 'Set your own top-up limits; raising one needs a limit_raise device proof',
        body: closed({ per_topup: limit, daily: limit, monthly: limit }),
      },
    },
    async (req) => {
      const session = identity.customerOf(req);
      const big = (v: number | null) => (v === null ? null : BigInt(v));
      const own = {
        perTopupMinor: big(req.body.per_topup),
        dailyMinor: big(req.body.daily),
        monthlyMinor: big(req.body.monthly),
      };
      const current = (await payments.wallet(session.customerId)).limits.effective;
      const raises =
        (own.perTopupMinor ?? BigInt(Number.MAX_SAFE_INTEGER)) > BigInt(current.per_topup) ||
        (own.dailyMinor ?? BigInt(Number.MAX_SAFE_INTEGER)) > BigInt(current.daily) ||
        (own.monthlyMinor ?? BigInt(Number.MAX_SAFE_INTEGER)) > BigInt(current.monthly);
      if (raises) {
        const header = req.headers[DEVICE_PROOF_HEADER];
        const proof = typeof header === 'string' ? header : undefined;
        await identity.verifyDeviceProof(session, 'limit_raise', proof, sourceOf(req));
      }
      await payments.setLimits(session.customerId, own);
      return payments.wallet(session.customerId);
    },
  );
}

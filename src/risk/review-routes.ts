import type { FastifyRequest, preHandlerAsyncHookHandler } from 'fastify';
import { closed, freeText, id, oneOf, sourceOf, Type, type App } from '../http/index.ts';
import { REVIEWS_PAGE_MAX, type Reviews } from './reviews.ts';

// Operator routes of the review queue under /v1/operator/risk/reviews: the queue (oldest
// first), one review with its decision and its subject's context (a customer's recent
// activity; a web payment's merchant, masked card, shopper network and the card's recent
// web payments), approve and decline with a note. Who may call each is identity's business
// (OPERATOR_ACCESS: every operator reads, risk analysts and security admins decide); the
// subject's context comes from the modules that own it, wired in main.ts, so risk reads no
// other module's tables.

type ReviewAccess = 'risk.reviews.read' | 'risk.reviews.decide';

interface ReviewRoutesDeps {
  reviews: Reviews;
  operators: {
    requireOperator(access: ReviewAccess): preHandlerAsyncHookHandler;
    operatorOf(req: FastifyRequest): { operatorId: string };
  };
  /**
   * The review's context from the modules that own it: a customer's recent sign-ins,
   * devices, security changes, top-ups and payments, or a web payment's facts.
   */
  activity(review: {
    kind: string;
    subject_id: string;
    customer_id: string | null;
  }): Promise<Record<string, unknown>>;
}

/** A decision's note: why, in the reviewer's words, kept on the trail. */
const REVIEW_NOTE_CHARS_MAX = 500;

const reviewParams = closed({ id: id('rv') });
const listQuery = closed({
  status: Type.Optional(
    oneOf(['open', 'approved', 'declined', 'closed', 'all'], { default: 'open' }),
  ),
  kind: Type.Optional(Type.String({ pattern: '^[a-z_]{1,40}$' })),
  customer_id: Type.Optional(Type.String({ format: 'uuid' })),
  after: Type.Optional(id('rv')),
  limit: Type.Optional(Type.Integer({ minimum: 1, maximum: REVIEWS_PAGE_MAX, default: 50 })),
});
const noteBody = closed({ note: freeText(REVIEW_NOTE_CHARS_MAX, 1) });

export function reviewRoutes(app: App, deps: ReviewRoutesDeps): void {
  const who = (req: FastifyRequest) => ({
    operatorId: deps.operators.operatorOf(req).operatorId,
    source: sourceOf(req),
  });
  app.get(
    '/v1/operator/risk/reviews',
    {
      schema: {
        summary: 'The review queue, oldest first (operators)',
        description:
          "Top-ups (kind topup) and merchants' web payments (kind web_payment) held by a " +
          '`review` decision. status defaults to open (closed: the subject ended while it ' +
          'waited, e.g. its authorization expired); after= pages on by a review id.',
        querystring: listQuery,
      },
      preHandler: deps.operators.requireOperator('risk.reviews.read'),
    },
    async (req) => {
      const q = req.query as Record<string, string | number | undefined>;
      return {
        data: await deps.reviews.list({
          status: q.status as 'open' | undefined,
          kind: q.kind as string | undefined,
          customerId: q.customer_id as string | undefined,
          after: q.after as string | undefined,
          limit: q.limit as number | undefined,
        }),
      };
    },
  );
  app.get(
    '/v1/operator/risk/reviews/:id',
    {
      schema: {
        summary: 'One review: its decision (signals, rules fired, version) and its context',
        description:
          "A top-up's review carries the customer's recent sign-ins, devices, security " +
          "changes, top-ups and payments (activity); a web payment's carries web_payment: " +
          'the merchant, amount, capture method, card (brand and last 4 digits only), the ' +
          "shopper's network, and the card's recent web payments. Reading it is audited " +
          '(risk.review.viewed).',
        params: reviewParams,
      },
      preHandler: deps.operators.requireOperator('risk.reviews.read'),
    },
    async (req) => {
      const review = await deps.reviews.get((req.params as { id: string }).id, who(req));
      return { ...review, ...(await deps.activity(review)) };
    },
  );
  decisionRoutes(app, deps, who);
}

type Who = (req: FastifyRequest) => { operatorId: string; source: ReturnType<typeof sourceOf> };

function decisionRoutes(app: App, deps: ReviewRoutesDeps, who: Who): void {
  app.post(
    '/v1/operator/risk/reviews/:id/approve',
    {
      schema: {
        summary: 'Approve a review: the held payment goes on, its money moves once',
        description:
          'A top-up is charged and credited; a web payment is captured (automatic capture) ' +
          'or becomes requires_capture (manual capture). Approving an approved review ' +
          'finishes a settlement a crash interrupted and otherwise moves nothing; a declined ' +
          'or closed one answers 409 risk_review_already_decided. ' +
          "subject is the held item's state after the approval (a declined card shows here).",
        params: reviewParams,
        body: noteBody,
      },
      // The role before the body: an operator who may not decide is told only that.
      preValidation: deps.operators.requireOperator('risk.reviews.decide'),
    },
    async (req) => {
      const { note } = req.body as { note: string };
      return deps.reviews.approve(who(req), (req.params as { id: string }).id, note);
    },
  );
  app.post(
    '/v1/operator/risk/reviews/:id/decline',
    {
      schema: {
        summary: 'Decline a review: nothing moves and the customer (or merchant) is told',
        description:
          "A top-up fails unpaid; a web payment's authorization is voided and the payment " +
          'canceled (cancellation_reason review_declined); subject is its state after.',
        params: reviewParams,
        body: noteBody,
      },
      preValidation: deps.operators.requireOperator('risk.reviews.decide'),
    },
    async (req) => {
      const { note } = req.body as { note: string };
      return deps.reviews.decline(who(req), (req.params as { id: string }).id, note);
    },
  );
}

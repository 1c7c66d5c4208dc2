import { closed, freeText, oneOf, sourceOf, Type, type App } from '../http/index.ts';
import { isUuid } from '../lib/ids.ts';
import { type Deps } from './context.ts';
import { acknowledgeDetection, detections, throttledSources } from './detections.ts';
import { maskAddress } from './contacts.ts';
import { clearSessionCookie, operatorOf, operatorPreHandler, setSessionCookie } from './http.ts';
import { createOperator, operatorLogin, operatorLogout, OPERATOR_ROLES } from './operators.ts';
import {
  lookupCustomer,
  operatorFreeze,
  operatorUnfreeze,
  type CustomerOverview,
} from './operator-accounts.ts';
import * as s from './schemas.ts';
import { identityError } from './errors.ts';

// Operator routes under /v1/operator. Each names the operator action it needs; the access
// table (OPERATOR_ACCESS) decides which roles may do it. Customer contacts are shown masked.

const THROTTLED_SOURCES_MAX = 200;
const FREEZE_REASON_CHARS_MIN = 3;
const FREEZE_REASON_CHARS_MAX = 500;
const DETECTIONS_PAGE_MAX = 200;
const DETECTIONS_PAGE_DEFAULT = 50;

export function operatorRoutes(app: App, deps: Deps): void {
  const login = closed({ email: s.str(254), password: s.password, totp_code: s.code() });
  app.post(
    '/v1/operator/login',
    { schema: { summary: 'Operator sign-in (password and TOTP, always)', body: login } },
    async (req, reply) => {
      const r = await operatorLogin(
        deps,
        { email: req.body.email, password: req.body.password, totpCode: req.body.totp_code },
        sourceOf(req),
      );
      setSessionCookie(reply, 'operator', r.token, deps.limits.operatorSessionAbsoluteSecondsMax);
      return {
        operator_id: r.operatorId,
        role: r.role,
        session_token: r.token,
        expires_at: r.expiresAt.toISOString(),
      };
    },
  );
  app.post(
    '/v1/operator/logout',
    { schema: { body: s.empty }, preHandler: operatorPreHandler(deps, 'operator.self') },
    async (req, reply) => {
      await operatorLogout(deps, operatorOf(req));
      clearSessionCookie(reply, 'operator');
      return { signed_out: true };
    },
  );
  app.get(
    '/v1/operator/me',
    { preHandler: operatorPreHandler(deps, 'operator.self') },
    async (req) => {
      const o = operatorOf(req);
      return { operator_id: o.operatorId, role: o.role };
    },
  );
  const create = closed({
    email: freeText(254, 1),
    name: freeText(128, 1),
    role: oneOf(OPERATOR_ROLES),
    password: s.password,
  });
  app.post(
    '/v1/operator/operators',
    { schema: { body: create }, preHandler: operatorPreHandler(deps, 'operators.create') },
    async (req, reply) => {
      const r = await createOperator(
        deps,
        req.body,
        { type: 'operator', id: operatorOf(req).operatorId },
        sourceOf(req),
      );
      return reply
        .status(201)
        .send({ operator_id: r.operatorId, totp_secret: r.totpSecret, otpauth_uri: r.otpauthUri });
    },
  );
  customerAdminRoutes(app, deps);
  sourceRoutes(app, deps);
}

/** What the console shows of a customer: contacts masked, freeze state with who and why. */
function customerView(c: CustomerOverview) {
  return {
    ...c,
    email: maskAddress(c.email),
    phone: maskAddress(c.phone),
    money_hold_until: c.money_hold_until?.toISOString() ?? null,
    created_at: c.created_at.toISOString(),
    frozen_at: c.frozen_at?.toISOString() ?? null,
  };
}

function customerAdminRoutes(app: App, deps: Deps): void {
  const params = { params: s.idParams };
  app.get(
    '/v1/operator/customers/:id',
    {
      schema: { summary: 'A customer by id (audited)', ...params },
      preHandler: operatorPreHandler(deps, 'customers.read'),
    },
    async (req) => {
      const operatorId = operatorOf(req).operatorId;
      if (!isUuid(req.params.id)) throw identityError('customer_not_found');
      const r = await lookupCustomer(deps, operatorId, req.params.id, sourceOf(req));
      return customerView(r.customer);
    },
  );
  app.post(
    '/v1/operator/customers/lookup',
    {
      schema: {
        summary: 'Find a customer by id, verified email or phone (exact match, audited)',
        body: closed({ query: s.str(254) }),
      },
      preValidation: operatorPreHandler(deps, 'customers.read'),
    },
    async (req) => {
      const operatorId = operatorOf(req).operatorId;
      const r = await lookupCustomer(deps, operatorId, req.body.query, sourceOf(req));
      return { matched_by: r.matchedBy, customer: customerView(r.customer) };
    },
  );
  freezeRoutes(app, deps, params);
}

/**
 * Freeze and unfreeze. The role is checked before the body (preValidation), so an operator
 * whose role may not do this is told only that, whatever they sent.
 */
function freezeRoutes(app: App, deps: Deps, params: { params: typeof s.idParams }): void {
  // A freeze or an unfreeze says why, in words the trail keeps (a card number is refused).
  const reason = {
    body: closed({ reason: freeText(FREEZE_REASON_CHARS_MAX, FREEZE_REASON_CHARS_MIN) }),
  };
  app.post(
    '/v1/operator/customers/:id/freeze',
    {
      schema: { summary: 'Freeze an account (reason required)', ...params, ...reason },
      preValidation: operatorPreHandler(deps, 'customers.freeze'),
    },
    async (req) => {
      const operatorId = operatorOf(req).operatorId;
      await operatorFreeze(deps, operatorId, req.params.id, req.body.reason, sourceOf(req));
      return { frozen: true };
    },
  );
  app.post(
    '/v1/operator/customers/:id/unfreeze',
    {
      schema: {
        summary: 'Unfreeze an account (security admin, not the one who froze it)',
        ...params,
        ...reason,
      },
      preValidation: operatorPreHandler(deps, 'customers.unfreeze'),
    },
    async (req) => {
      const operatorId = operatorOf(req).operatorId;
      await operatorUnfreeze(deps, operatorId, req.params.id, req.body.reason, sourceOf(req));
      return { frozen: false };
    },
  );
}

function sourceRoutes(app: App, deps: Deps): void {
  app.get(
    '/v1/operator/throttled-sources',
    {
      schema: {
        summary: 'Source networks blocked now or slowed in their current window',
        description:
          'Customer and operator sign-in are counted in separate buckets (realm). A slowed ' +
          'source stays listed for its whole window, not only while its next slot is ahead.',
      },
      preHandler: operatorPreHandler(deps, 'sources.read'),
    },
    async () => ({ sources: await throttledSources(deps, THROTTLED_SOURCES_MAX) }),
  );
  const list = closed({
    status: Type.Optional(oneOf(['open', 'all'], { default: 'open' })),
    limit: Type.Optional(
      Type.Integer({ minimum: 1, maximum: DETECTIONS_PAGE_MAX, default: DETECTIONS_PAGE_DEFAULT }),
    ),
    before: Type.Optional(Type.String({ format: 'date-time' })),
  });
  app.get(
    '/v1/operator/stuffing-detections',
    {
      schema: {
        summary: 'Credential-stuffing detections, newest first',
        description:
          'A detection is raised when a source network is blocked and stays open until an ' +
          'operator acknowledges it; status=all includes acknowledged ones (the history), ' +
          'and before= pages back by detected_at.',
        querystring: list,
      },
      preHandler: operatorPreHandler(deps, 'sources.read'),
    },
    async (req) => ({
      detections: await detections(deps, {
        // The schema's defaults fill an absent status and limit; the fallbacks are the same.
        open: req.query.status !== 'all',
        limit: req.query.limit ?? DETECTIONS_PAGE_DEFAULT,
        before: req.query.before ? new Date(req.query.before) : null,
      }),
    }),
  );
  app.post(
    '/v1/operator/stuffing-detections/:id/acknowledge',
    {
      schema: {
        summary: 'Acknowledge a credential-stuffing detection (audited)',
        params: s.idParams,
        body: closed({ note: freeText(500, 1) }),
      },
      preValidation: operatorPreHandler(deps, 'sources.acknowledge'),
    },
    async (req) =>
      acknowledgeDetection(
        deps,
        { id: req.params.id, operatorId: operatorOf(req).operatorId, note: req.body.note },
        sourceOf(req),
      ),
  );
}

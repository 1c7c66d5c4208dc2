import type { FastifyInstance } from 'fastify';
import { KinkoError } from '../lib/errors.ts';
import { isUuid } from '../lib/ids.ts';
import { at, type Deps } from './context.ts';
import { maskAddress } from './contacts.ts';
import {
  clearSessionCookie,
  operatorOf,
  operatorPreHandler,
  setSessionCookie,
  sourceOf,
} from './http.ts';
import {
  createOperator,
  operatorLogin,
  operatorLogout,
  OPERATOR_ROLES,
  type NewOperator,
} from './operators.ts';
import { freezeAccount } from './recovery.ts';
import * as s from './schemas.ts';
import * as store from './store.ts';

// Operator routes under /v1/operator. Each names the operator action it needs; the access
// table (OPERATOR_ACCESS) decides which roles may do it. Customer contacts are shown masked.

const THROTTLED_SOURCES_MAX = 200;

export function operatorRoutes(app: FastifyInstance, deps: Deps): void {
  const login = s.closed({ email: s.str(254), password: s.password, totp_code: s.code() }, [
    'email',
    'password',
    'totp_code',
  ]);
  app.post<{ Body: { email: string; password: string; totp_code: string } }>(
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
  const create = s.closed(
    {
      email: s.str(254),
      name: s.str(128),
      role: { type: 'string', enum: [...OPERATOR_ROLES] },
      password: s.password,
    },
    ['email', 'name', 'role', 'password'],
  );
  app.post<{ Body: NewOperator }>(
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
}

function customerAdminRoutes(app: FastifyInstance, deps: Deps): void {
  const params = { params: s.closed({ id: s.str(64) }, ['id']) };
  app.get<{ Params: { id: string } }>(
    '/v1/operator/customers/:id',
    { schema: params, preHandler: operatorPreHandler(deps, 'customers.read') },
    async (req) => {
      const c = isUuid(req.params.id)
        ? await store.customerOverview(deps.sql, req.params.id)
        : undefined;
      if (!c) throw new KinkoError('route_not_found', { message: 'No such customer.' });
      return {
        ...c,
        email: maskAddress(c.email),
        phone: maskAddress(c.phone),
        money_hold_until: c.money_hold_until?.toISOString() ?? null,
        created_at: c.created_at.toISOString(),
      };
    },
  );
  app.post<{ Params: { id: string } }>(
    '/v1/operator/customers/:id/freeze',
    {
      schema: { ...params, body: s.empty },
      preHandler: operatorPreHandler(deps, 'customers.freeze'),
    },
    async (req) => {
      if (!isUuid(req.params.id))
        throw new KinkoError('route_not_found', { message: 'No such customer.' });
      const actor = { type: 'operator' as const, id: operatorOf(req).operatorId };
      await deps.sql.begin((tx) => freezeAccount(deps, tx, req.params.id, sourceOf(req), actor));
      return { frozen: true };
    },
  );
  app.get(
    '/v1/operator/throttled-sources',
    { preHandler: operatorPreHandler(deps, 'sources.read') },
    async () => {
      const rows = await store.listThrottledSources(deps.sql, at(deps), THROTTLED_SOURCES_MAX);
      return {
        sources: rows.map((r) => ({
          source_prefix: r.source_prefix,
          failures: r.failures,
          blocked_until: r.blocked_until?.toISOString() ?? null,
          detected_at: r.detected_at?.toISOString() ?? null,
        })),
      };
    },
  );
}

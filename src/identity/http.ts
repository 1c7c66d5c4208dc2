import type { FastifyReply, FastifyRequest, preHandlerAsyncHookHandler } from 'fastify';
import { sourceOf } from '../http/index.ts';
import type { Deps } from './context.ts';
import { DEVICE_PROOF_HEADER, requireAction } from './guard.ts';
import {
  mayDo,
  resolveOperatorSession,
  type OperatorAction,
  type OperatorSession,
} from './operators.ts';
import type { SensitiveAction } from './policy.ts';
import { resolveSession, type CustomerSession } from './sessions.ts';
import { identityError } from './errors.ts';

// How identity meets HTTP: where a session token travels (a __Host- cookie for the web
// apps: HttpOnly, Secure, SameSite=Strict, Path=/; or `Authorization: Bearer` for API
// clients), and the preHandlers other modules put in front of their routes.

export const CUSTOMER_COOKIE = '__Host-kinko_session';
const OPERATOR_COOKIE = '__Host-kinko_operator';

function cookie(req: FastifyRequest, name: string): string | undefined {
  const header = req.headers.cookie;
  if (!header) return undefined;
  for (const part of header.split(';')) {
    const eq = part.indexOf('=');
    if (eq > 0 && part.slice(0, eq).trim() === name) return part.slice(eq + 1).trim();
  }
  return undefined;
}

export function tokenOf(req: FastifyRequest, realm: 'customer' | 'operator'): string | undefined {
  const auth = req.headers.authorization;
  const prefix = realm === 'customer' ? 'ks_' : 'kos_';
  if (auth?.startsWith('Bearer ')) {
    const token = auth.slice(7).trim();
    if (token.startsWith(prefix)) return token;
  }
  return cookie(req, realm === 'customer' ? CUSTOMER_COOKIE : OPERATOR_COOKIE);
}

export function setSessionCookie(
  reply: FastifyReply,
  realm: 'customer' | 'operator',
  token: string,
  maxAgeSeconds: number,
): void {
  const name = realm === 'customer' ? CUSTOMER_COOKIE : OPERATOR_COOKIE;
  const age = Math.max(0, Math.floor(maxAgeSeconds));
  void reply.header(
    'set-cookie',
    `${name}=${token}; Path=/; Max-Age=${age}; HttpOnly; Secure; SameSite=Strict`,
  );
}

export function clearSessionCookie(reply: FastifyReply, realm: 'customer' | 'operator'): void {
  setSessionCookie(reply, realm, '', 0);
}

const customerSessions = new WeakMap<FastifyRequest, CustomerSession>();
const operatorSessions = new WeakMap<FastifyRequest, OperatorSession>();

/** The customer session a requireCustomer preHandler resolved for this request. */
export function customerOf(req: FastifyRequest): CustomerSession {
  const s = customerSessions.get(req);
  if (!s) throw identityError('session_missing');
  return s;
}

export function operatorOf(req: FastifyRequest): OperatorSession {
  const s = operatorSessions.get(req);
  if (!s) throw identityError('session_missing');
  return s;
}

export function customerPreHandler(deps: Deps): preHandlerAsyncHookHandler {
  return async (req) => {
    customerSessions.set(req, await resolveSession(deps, tokenOf(req, 'customer')));
  };
}

/** A signed-in operator whose role may do `action` (least privilege, OPERATOR_ACCESS). */
export function operatorPreHandler(deps: Deps, action: OperatorAction): preHandlerAsyncHookHandler {
  return async (req) => {
    const session = await resolveOperatorSession(deps, tokenOf(req, 'operator'));
    if (!mayDo(session.role, action)) throw identityError('operator_access_denied');
    operatorSessions.set(req, session);
  };
}

/**
 * For other modules' money-moving and credential routes: a customer session that passes
 * the step-up policy for `action` and, where the policy says so, carries a fresh device
 * proof in the kinko-device-proof header. Use after (or instead of) requireCustomer.
 */
export function actionPreHandler(deps: Deps, action: SensitiveAction): preHandlerAsyncHookHandler {
  return async (req) => {
    let session = customerSessions.get(req);
    if (!session) {
      session = await resolveSession(deps, tokenOf(req, 'customer'));
      customerSessions.set(req, session);
    }
    const header = req.headers[DEVICE_PROOF_HEADER];
    await requireAction(
      deps,
      session,
      action,
      typeof header === 'string' ? header : undefined,
      sourceOf(req),
    );
  };
}

import type { FastifyRequest, preHandlerAsyncHookHandler } from 'fastify';
import { authenticateSecretKey, recordWriteUse, type MerchantPrincipal } from './auth.ts';
import { hasScope, type AccessScope } from './keys.ts';
import type { MerchantsDeps } from './merchants.ts';
import { merchantsError } from './errors.ts';
import { sourceOf } from '../http/index.ts';
import { mayDo, type MerchantAction } from './team/access.ts';
import { personEntry } from './team/context.ts';
import { resolvePersonSession, type PersonSession } from './team/people.ts';

// How merchants meet HTTP: the preHandler in front of every /v1 merchant route, and the
// principal it leaves on the request for handlers and for the idempotency layer.
//
// A merchant route is reached two ways. A merchant's server sends an API key
// (`Authorization: Bearer sk_…`) and its scopes decide. The dashboard sends no key — secret
// keys never enter a browser — but its person's session cookie (__Host-, HttpOnly, Secure,
// SameSite=Strict), and the person's role decides through MERCHANT_ACCESS. Every request a
// person makes is audited with who made it, reads included: people act at human pace, and
// what an analyst exported is part of the record.

export const PERSON_COOKIE = '__Host-kinko_merchant';
/** The dashboard's choice of data: `test` for test-mode records; live otherwise. */
const PERSON_MODE_HEADER = 'kinko-mode';

const principals = new WeakMap<FastifyRequest, MerchantPrincipal>();
const sessions = new WeakMap<FastifyRequest, PersonSession>();
const READ_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

/** The principal (API key or person) requireMerchantKey resolved for this request. */
export function merchantKeyOf(req: FastifyRequest): MerchantPrincipal {
  const p = principals.get(req);
  if (!p) throw merchantsError('api_key_invalid');
  return p;
}

/**
 * The idempotency scope of a request: per merchant and mode, so keys rolled or restricted
 * keys of one merchant share idempotency keys (as one integration), while two merchants, or
 * one merchant's test and live traffic, never collide.
 */
export function merchantScopeOf(req: FastifyRequest): string {
  const p = merchantKeyOf(req);
  return `merchant:${p.merchantId}:${p.mode}`;
}

/** The signed-in person a requirePerson preHandler resolved for this request. */
export function personOf(req: FastifyRequest): PersonSession {
  const s = sessions.get(req);
  if (!s) throw merchantsError('person_session_missing');
  return s;
}

export function personTokenOf(req: FastifyRequest): string | undefined {
  const header = req.headers.cookie;
  if (!header) return undefined;
  for (const part of header.split(';')) {
    const eq = part.indexOf('=');
    if (eq > 0 && part.slice(0, eq).trim() === PERSON_COOKIE) return part.slice(eq + 1).trim();
  }
  return undefined;
}

function requestOf(req: FastifyRequest) {
  return {
    method: req.method,
    path: req.routeOptions.url ?? req.url.split('?')[0] ?? '',
    source: sourceOf(req),
  };
}

/** A signed-in person whose role may do `action`; every request audited, refusals too. */
export function requirePerson(deps: MerchantsDeps, action: MerchantAction) {
  return async (req: FastifyRequest): Promise<PersonSession> => {
    const session = await resolvePersonSession(deps, personTokenOf(req));
    const allowed = mayDo(session.role, action);
    const r = requestOf(req);
    await deps.sql.begin((tx) =>
      deps.audit.append(tx, [
        personEntry('merchants.person.request', session, r.source, allowed ? 'success' : 'denied', {
          method: r.method,
          path: r.path,
          action,
        }),
      ]),
    );
    if (!allowed) throw merchantsError('person_access_denied', { extra: { action } });
    sessions.set(req, session);
    return session;
  };
}

export function requireMerchantKey(
  deps: MerchantsDeps,
  scope: AccessScope,
): preHandlerAsyncHookHandler {
  const person = requirePerson(deps, scope);
  return async (req) => {
    if (req.headers.authorization === undefined && personTokenOf(req) !== undefined) {
      const s = await person(req);
      const test = req.headers[PERSON_MODE_HEADER] === 'test';
      principals.set(req, {
        merchantId: s.merchantId,
        actor: { type: 'merchant_person', id: s.personId },
        scopes: [scope],
        mode: test ? 'test' : 'live',
        kind: 'person',
        storeIds: s.storeIds,
      });
      return;
    }
    const principal = await authenticateSecretKey(deps, req.headers.authorization);
    const write = !READ_METHODS.has(req.method);
    const request = requestOf(req);
    if (!hasScope(principal.scopes, scope)) {
      if (write) await recordWriteUse(deps, principal, request, 'denied');
      throw merchantsError('api_key_scope_missing', { extra: { required_scope: scope } });
    }
    principals.set(req, principal);
    if (write) await recordWriteUse(deps, principal, request);
  };
}

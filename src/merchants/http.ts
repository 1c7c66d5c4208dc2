import type { FastifyRequest, preHandlerAsyncHookHandler } from 'fastify';
import { authenticateSecretKey, recordWriteUse, type MerchantPrincipal } from './auth.ts';
import { hasScope, type AccessScope } from './keys.ts';
import type { MerchantsDeps } from './merchants.ts';
import { merchantsError } from './errors.ts';
import { sourceOf } from '../http/index.ts';

// How merchants meet HTTP: the preHandler in front of every /v1 merchant route, and the
// principal it leaves on the request for handlers and for the idempotency layer.

const principals = new WeakMap<FastifyRequest, MerchantPrincipal>();
const READ_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

/** The API key principal requireMerchantKey resolved for this request. */
export function merchantKeyOf(req: FastifyRequest): MerchantPrincipal {
  const p = principals.get(req);
  if (!p) throw merchantsError('api_key_invalid');
  return p;
}

/**
 * The idempotency scope of a request made with an API key: per merchant and mode, so keys
 * rolled or restricted keys of one merchant share idempotency keys (as one integration),
 * while two merchants, or one merchant's test and live traffic, never collide.
 */
export function merchantScopeOf(req: FastifyRequest): string {
  const p = merchantKeyOf(req);
  return `merchant:${p.merchantId}:${p.mode}`;
}

export function requireMerchantKey(
  deps: MerchantsDeps,
  scope: AccessScope,
): preHandlerAsyncHookHandler {
  return async (req) => {
    const principal = await authenticateSecretKey(deps, req.headers.authorization);
    const write = !READ_METHODS.has(req.method);
    const request = {
      method: req.method,
      path: req.routeOptions.url ?? req.url.split('?')[0] ?? '',
      source: sourceOf(req),
    };
    if (!hasScope(principal.scopes, scope)) {
      if (write) await recordWriteUse(deps, principal, request, 'denied');
      throw merchantsError('api_key_scope_missing', { extra: { required_scope: scope } });
    }
    principals.set(req, principal);
    if (write) await recordWriteUse(deps, principal, request);
  };
}

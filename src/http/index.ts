// HTTP: the Fastify server every module's routes are mounted on.
//
// Glossary
// - route: one method + path with its JSON schema; handlers are thin (validate → call → map).
// - error shape: { error: { type, code, message, param?, request_id } }, status by code.
// - source: where a request came from (client address and request id); the client address
//   is read from X-Forwarded-For only when the peer is a trusted proxy (source.ts).

export {
  createServer,
  freeText,
  parseJson,
  sendError,
  type App,
  type ServerOptions,
} from './server.ts';
export { healthRoutes } from './routes.ts';
export { sourceOf, type RequestSource } from './source.ts';
export { HTTP_ERRORS, httpError, statusOf } from './errors.ts';
export {
  createIdempotency,
  markSecretResponse,
  IDEMPOTENCY_ERRORS,
  idempotencyError,
  IDEMPOTENCY_KEY_HEADER,
  REPLAYED_HEADER,
  type Idempotency,
  type IdempotencyDeps,
  type IdempotencyRouteOptions,
  type ScopeOf,
} from './idempotency.ts';
export {
  createdRange,
  listQuery,
  listQueryOf,
  pageOf,
  type CreatedQuery,
  type ListQuery,
  type Page,
  type RawQuery,
} from './lists.ts';

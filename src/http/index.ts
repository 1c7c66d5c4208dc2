// HTTP: the Fastify server every module's routes are mounted on.
//
// Glossary
// - route: one method + path with its JSON schema; handlers are thin (validate → call → map).
// - error shape: { error: { type, code, message, param?, request_id } }, status by code.
// - source: where a request came from (client address and request id); the client address
//   is read from X-Forwarded-For only when the peer is a trusted proxy (source.ts).
// - schema helpers: TypeBox builders for closed objects, prefixed ids, amounts bounded by
//   configuration and free text that refuses card numbers (schema.ts); a route declares its
//   body, params and query once and its handler's types follow.
// - fingerprint: a request's method, path and canonical JSON body, hashed; what an
//   Idempotency-Key is bound to.

export { createServer, parseJson, type App } from './server.ts';
export { healthRoutes } from './routes.ts';
export { sourceOf, type Source } from './source.ts';
export {
  amount,
  closed,
  constant,
  freeText,
  id,
  idParams,
  JSON_AMOUNT_MAX,
  oneOf,
  orNull,
  textRecord,
  Type,
  type Static,
  type TSchema,
} from './schema.ts';
export { requestFingerprint } from './fingerprint.ts';
export { errorBody } from './error-body.ts';
export { httpError, statusOf } from './errors.ts';
export {
  createIdempotency,
  markSecretResponse,
  idempotencyError,
  IDEMPOTENCY_KEY_HEADER,
  REPLAYED_HEADER,
  type Idempotency,
} from './idempotency.ts';
export {
  createdRange,
  listQuery,
  listQueryOf,
  pageOf,
  type CreatedQuery,
  type ListQuery,
  type Page,
  type ListRawQuery,
} from './lists.ts';

import type {
  FastifyReply,
  FastifyRequest,
  onSendAsyncHookHandler,
  preHandlerAsyncHookHandler,
} from 'fastify';
import type { IdempotencyLimits } from '../config.ts';
import type { Sql } from '../db/index.ts';
import type { Clock } from '../lib/clock.ts';
import { holdsCardNumber } from '../lib/card-numbers.ts';
import { defineErrors, errorFactory } from '../lib/errors.ts';
import type { Logger } from '../lib/log.ts';
import { scrub } from '../lib/redact.ts';
import * as store from './store.ts';
import { httpError } from './errors.ts';
import { requestFingerprint } from './fingerprint.ts';

// Idempotency-Key for POST requests, with the semantics integrators know (Stripe; IETF
// draft-ietf-httpapi-idempotency-key-header):
//
// - Every POST that uses it must carry `Idempotency-Key` (missing → 400).
// - The first response to a key, errors included, is stored and replayed for the same key,
//   marked `Idempotent-Replayed: true`.
// - The same key with other parameters (method, path with query, canonical JSON body) is
//   refused with idempotency_key_reused, 422 as the IETF draft says: the request is
//   well-formed, but cannot be processed as a retry of the one that came first.
// - The same key while its first request is still running → 409 idempotency_request_in_progress.
// - Keys are scoped by the caller's principal (scopeOf), so two merchants never collide.
// - Keys are kept keySecondsRetention (≥ 24 h), then purge() deletes them.
//
// What is not stored: requests refused before the claim (authentication, schema
// validation), which did not start executing and may be retried as they are; the 409 and
// 422 answers of this layer, which belong to the later request, not the first one; and
// refusals that by their code never start (NOT_STARTED_CODES: a kill switch refuses a request
// before it does anything), whose key is given up so the retry after the switch is lifted
// runs.
//
// A claim records locked_until (request timeout + a margin). If its process dies before
// answering, a retry after locked_until takes the key over instead of waiting forever.
//
// Table: idempotency_keys (migrations/0007); this file is its only user, through store.ts.

const IDEMPOTENCY_ERRORS = defineErrors('idempotency', {
  idempotency_key_missing: {
    type: 'invalid_request_error',
    message: 'This request needs an Idempotency-Key header.',
  },
  idempotency_key_invalid: {
    type: 'invalid_request_error',
    message: 'The Idempotency-Key must be 1–255 printable ASCII characters.',
  },
  idempotency_key_reused: {
    type: 'idempotency_error',
    message: 'This Idempotency-Key was used with different request parameters.',
  },
  idempotency_request_in_progress: {
    type: 'idempotency_error',
    message: 'A request with this Idempotency-Key is still being processed; retry shortly.',
  },
});

/** Raises one of these codes; a code not in the table does not compile. */
export const idempotencyError = errorFactory(IDEMPOTENCY_ERRORS);

export const IDEMPOTENCY_KEY_HEADER = 'idempotency-key';
export const REPLAYED_HEADER = 'idempotent-replayed';
/** Added to the request timeout for a claim's lock: time to store the response. */
const LOCK_MARGIN_MS = 5000;
const KEY_RE = /^[\x21-\x7e]+$/;

interface IdempotencyDeps {
  sql: Sql;
  clock: Clock;
  limits: { idempotency: IdempotencyLimits; httpRequestTimeoutMs: number };
  log?: Logger | undefined;
}

type ScopeOf = (req: FastifyRequest) => string;

interface IdempotencyRouteOptions {
  preHandler: preHandlerAsyncHookHandler[];
  onSend: onSendAsyncHookHandler;
}

export interface Idempotency {
  /** A preHandler that claims the key; put it after the route's authentication. */
  claim(scopeOf: ScopeOf): preHandlerAsyncHookHandler;
  /** The onSend hook that stores the first response of a claimed key. */
  readonly onSend: onSendAsyncHookHandler;
  /** Route options for a POST: `{ ...idem.route(auth, scopeOf), schema }`. */
  route(auth: preHandlerAsyncHookHandler, scopeOf: ScopeOf): IdempotencyRouteOptions;
  /** Deletes keys older than the retention; returns how many. */
  purge(): Promise<number>;
}

interface Claim {
  scope: string;
  key: string;
  redact: boolean;
}

const claims = new WeakMap<FastifyRequest, Claim>();

/**
 * Marks this request's response as carrying a secret shown once (a new API key, a webhook
 * secret): its stored copy has secret fields redacted, so a replay never shows the secret
 * again and the idempotency table never holds it.
 */
export function markSecretResponse(req: FastifyRequest): void {
  const c = claims.get(req);
  if (c) c.redact = true;
}

function keyOf(req: FastifyRequest, limits: IdempotencyLimits): string {
  const raw = req.headers[IDEMPOTENCY_KEY_HEADER];
  if (raw === undefined || raw === '') throw idempotencyError('idempotency_key_missing');
  if (typeof raw !== 'string' || raw.length > limits.keyCharsMax || !KEY_RE.test(raw)) {
    throw idempotencyError('idempotency_key_invalid', { param: 'Idempotency-Key' });
  }
  // The key is stored with the answer, so it is held to the free-text rule: no card number.
  if (holdsCardNumber(raw)) {
    throw httpError('card_data_not_allowed', {
      param: 'Idempotency-Key',
      message: 'The Idempotency-Key holds what looks like a card number; use another key.',
    });
  }
  return raw;
}

export function createIdempotency(deps: IdempotencyDeps): Idempotency {
  const onSend = storeResponse(deps);
  return {
    claim: (scopeOf) => claimKey(deps, scopeOf),
    onSend,
    route: (auth, scopeOf) => ({ preHandler: [auth, claimKey(deps, scopeOf)], onSend }),
    purge: () => purge(deps),
  };
}

function claimKey(deps: IdempotencyDeps, scopeOf: ScopeOf): preHandlerAsyncHookHandler {
  const { sql, clock, limits } = deps;
  const lockMs = limits.httpRequestTimeoutMs + LOCK_MARGIN_MS;
  return async function idempotencyClaim(req, reply) {
    if (req.method !== 'POST') return;
    const key = keyOf(req, limits.idempotency);
    const scope = scopeOf(req);
    const fingerprint = requestFingerprint(req.method, req.url, req.body);
    const now = clock.now();
    const lockedUntil = new Date(now.getTime() + lockMs);
    const claim = { scope, key, fingerprint, now, lockedUntil };
    const own = () => void claims.set(req, { scope, key, redact: false });
    if (await store.insertKey(sql, claim)) return own();
    const row = await store.keyOf(sql, scope, key);
    const retainedFrom = new Date(now.getTime() - limits.idempotency.keySecondsRetention * 1000);
    // Gone (purged between the two statements) or past retention: a fresh start.
    if (!row || row.created_at < retainedFrom) {
      if (await store.restartExpiredKey(sql, claim, retainedFrom)) return own();
      throw idempotencyError('idempotency_request_in_progress');
    }
    if (!row.fingerprint.equals(fingerprint)) throw idempotencyError('idempotency_key_reused');
    if (row.status_code !== null) return replay(reply, row);
    if (row.locked_until && row.locked_until > now) {
      throw idempotencyError('idempotency_request_in_progress');
    }
    // The claim was abandoned (its holder died before answering): take it over.
    if (await store.relockAbandonedKey(sql, claim)) return own();
    throw idempotencyError('idempotency_request_in_progress');
  };
}

/** Refusals made before a request does anything: answered, never stored. */
const NOT_STARTED_CODES: ReadonlySet<string> = new Set(['service_suspended']);

function notStarted(statusCode: number, body: string): boolean {
  if (statusCode !== 503) return false;
  try {
    const code = (JSON.parse(body) as { error?: { code?: unknown } }).error?.code;
    return typeof code === 'string' && NOT_STARTED_CODES.has(code);
  } catch {
    return false;
  }
}

function storeResponse(deps: IdempotencyDeps): onSendAsyncHookHandler {
  return async function idempotencyStore(req, reply, payload) {
    const c = claims.get(req);
    if (!c) return payload;
    claims.delete(req);
    const text = typeof payload === 'string' ? payload : Buffer.isBuffer(payload) ? payload : '';
    let body = text.toString();
    if (notStarted(reply.statusCode, body)) {
      await store.releaseKey(deps.sql, c.scope, c.key).catch((err: unknown) => {
        deps.log?.error({ err }, 'idempotency key not released');
      });
      return payload;
    }
    if (c.redact) body = redactSecrets(body);
    const type = reply.getHeader('content-type');
    try {
      await store.storeAnswer(deps.sql, c.scope, c.key, {
        statusCode: reply.statusCode,
        contentType: String(type ?? ''),
        body,
        completedAt: deps.clock.now(),
      });
    } catch (err) {
      // The response still goes out; the claim's lock runs out and a retry may run again.
      deps.log?.error({ err }, 'idempotency response not stored');
    }
    return payload;
  };
}

function replay(reply: FastifyReply, row: store.KeyRow): FastifyReply {
  void reply
    .status(row.status_code ?? 500)
    .header(REPLAYED_HEADER, 'true')
    .type(row.content_type || 'application/json')
    .send(row.response_body ?? '');
  return reply;
}

function redactSecrets(body: string): string {
  try {
    return JSON.stringify(scrub(JSON.parse(body)));
  } catch {
    return '';
  }
}

async function purge(deps: IdempotencyDeps): Promise<number> {
  const { sql, clock, limits } = deps;
  const before = new Date(clock.nowMs() - limits.idempotency.keySecondsRetention * 1000);
  const batch = limits.idempotency.purgeBatchSizeMax;
  let total = 0;
  for (;;) {
    const count = await store.purgeKeys(sql, before, batch);
    total += count;
    if (count < batch) return total;
  }
}

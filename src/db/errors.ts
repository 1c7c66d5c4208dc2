import { defineErrors, errorFactory } from '../lib/errors.ts';

// The database layer's one error code, and the test that recognises a failure as the
// database being out of reach (rather than a bug): refused or dropped connections, a connect
// or an answer that took too long, a server shutting down or starting up, a statement ended
// by statement_timeout. Such a request fails fast with 503 and Retry-After; the pool
// reconnects by itself once the server is back.

const DB_ERRORS = defineErrors('db', {
  database_unavailable: {
    type: 'api_error',
    message: 'The database is unavailable; retry shortly.',
  },
});

/** Raises one of these codes; a code not in the table does not compile. */
export const dbError = errorFactory(DB_ERRORS);

/** Seconds a client is told to wait before retrying a request the database could not serve. */
export const DB_RETRY_AFTER_SECONDS = 1;

/** Node's and postgres.js's codes for a connection that failed, closed or timed out. */
const CONNECTION_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'EPIPE',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ENOTFOUND',
  'EAI_AGAIN',
  'CONNECT_TIMEOUT',
  'CONNECTION_CLOSED',
  'CONNECTION_DESTROYED',
  'CONNECTION_ENDED',
]);

/**
 * SQLSTATEs meaning "the server cannot serve this now": class 08 (connection exception),
 * 57P01-57P05 (shutdown, crash, starting up, idle session ended) and 57014 (statement
 * cancelled: statement_timeout), 53300 (too many connections).
 */
function unavailableState(state: string): boolean {
  if (state.startsWith('08') || state.startsWith('57P')) return true;
  return state === '57014' || state === '53300';
}

/** True when err says the database could not be reached or did not answer in time. */
export function isDatabaseUnavailable(err: unknown): boolean {
  if (!err || typeof err !== 'object') return false;
  const e = err as {
    code?: unknown;
    errno?: unknown;
    name?: unknown;
    cause?: unknown;
    syscall?: unknown;
  };
  if (typeof e.code === 'string') {
    if (CONNECTION_CODES.has(e.code)) return true;
    // A stopped server's Unix-domain socket file is gone: connect() finds no such file.
    // Only a connect's ENOENT: a missing file elsewhere is not the database.
    if (e.code === 'ENOENT' && e.syscall === 'connect') return true;
    if (e.name === 'PostgresError' && unavailableState(e.code)) return true;
  }
  return e.cause !== undefined && e.cause !== err && isDatabaseUnavailable(e.cause);
}

import { once } from 'node:events';
import type { Writable } from 'node:stream';
import type postgres from 'postgres';

// Bulk writes with COPY … FROM STDIN, in text format or binary (copy-binary.ts): for
// thousands of rows it costs the server about half of an `insert … select from unnest(…)`,
// whose array parameters are built, escaped and parsed element by element.
//
// postgres.js 3.4 does not settle the writable when the server rejects the COPY after the
// data was sent (porsager/postgres#1173): awaiting it would hang, sql.begin() would never
// roll back and the connection would stay "idle in transaction (aborted)". copyIn()
// therefore also listens on the query's own rejection, which the driver does call with the
// server's error, so callers see the real error (and its code, such as 23505) and the
// transaction rolls back. db.test.ts holds this behaviour to account on each upgrade.

/** A COPY statement not yet sent: `tx\`copy t (a, b) from stdin\``. */
type CopyStatement = postgres.PendingQuery<postgres.Row[]>;

interface DriverQuery {
  reject: (error: unknown) => void;
}

/**
 * Sends rows already in COPY text format (see copyField) and waits for the server's answer.
 * Given an iterable, each chunk is sent as soon as it is made, so the server parses and
 * inserts one chunk while the caller computes the next.
 */
export async function copyIn(
  statement: CopyStatement,
  rows: string | Iterable<string | Buffer> | AsyncIterable<string | Buffer>,
): Promise<void> {
  const query = statement as unknown as DriverQuery;
  const driverReject = query.reject;
  let failed: (error: unknown) => void = () => {};
  const failure = new Promise<never>((_, reject) => (failed = reject));
  query.reject = (error) => {
    failed(error);
    driverReject(error);
  };
  const done = statement.writable().then((stream) => send(stream, rows));
  await Promise.race([done, failure]);
}

async function send(
  stream: Writable,
  rows: string | Iterable<string | Buffer> | AsyncIterable<string | Buffer>,
): Promise<void> {
  const ended = new Promise<void>((resolve, reject) => {
    stream.once('error', reject);
    stream.once('finish', resolve);
  });
  // Awaited only on success; on failure the caller gets the first error, not this one.
  ended.catch(() => {});
  try {
    // A synchronous source (the ledger's hot path) is walked without an await per chunk.
    const source = typeof rows === 'string' ? [rows] : rows;
    if (Symbol.asyncIterator in source) {
      for await (const chunk of source) {
        if (stream.destroyed) break;
        if (!stream.write(chunk)) await once(stream, 'drain');
      }
    } else {
      for (const chunk of source) {
        if (stream.destroyed) break;
        if (!stream.write(chunk)) await once(stream, 'drain');
      }
    }
  } catch (error) {
    // The driver answers a destroyed stream with CopyFail, so the server leaves COPY mode
    // and the transaction can roll back.
    stream.destroy(error instanceof Error ? error : new Error(String(error)));
    throw error;
  }
  stream.end();
  await ended;
}

const NEEDS_ESCAPE = /[\\\t\n\r]/;

/** One text field of a COPY row: null as \N; backslash, tab, newline and CR escaped. */
export function copyField(value: string | null): string {
  if (value === null) return '\\N';
  if (!NEEDS_ESCAPE.test(value)) return value;
  return value.replace(/[\\\t\n\r]/g, (c) =>
    c === '\\' ? '\\\\' : c === '\t' ? '\\t' : c === '\n' ? '\\n' : '\\r',
  );
}

/** A bytea field of a COPY row in hex form (the backslash itself escaped for text format). */
export function copyBytea(value: Buffer): string {
  return `\\\\x${value.toString('hex')}`;
}

import { isUuid } from '../lib/ids.ts';

// Array parameters as PostgreSQL array literals, built in one pass.
//
// postgres.js serialises a JavaScript array parameter element by element: it infers each
// element's type and escapes it with two regular-expression replaces. For the long texts
// Kinko sends in set-based inserts (outbox payloads, webhook bodies, stored answers) that
// cost more than the statement itself. textArray() quotes every element, escapes only the
// two characters that need it inside quotes (backslash and double quote), and writes SQL
// NULL for null; the caller casts the parameter (`${textArray(xs)}::text[]`).

const NEEDS_ESCAPE = /["\\]/g;

export function textArray(values: readonly (string | null)[]): string {
  let out = '{';
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    if (i > 0) out += ',';
    if (v === null || v === undefined) out += 'NULL';
    else out += `"${v.replace(NEEDS_ESCAPE, '\\$&')}"`;
  }
  return out + '}';
}

/**
 * Uuids as an array literal, unquoted: a uuid holds nothing an array literal would need to
 * escape, and each is checked to be one, so no element can close the literal early.
 */
export function uuidArray(values: readonly string[]): string {
  for (const v of values) {
    if (!isUuid(v)) throw new TypeError(`uuidArray: not a uuid: ${JSON.stringify(v)}`);
  }
  return `{${values.join(',')}}`;
}

/**
 * uuidArray for ids this process read back from PostgreSQL's uuid columns (their text is
 * always canonical), so not checked again: a large ledger batch writes the balances of the
 * ~1,800 accounts its lock answered, and checking each id's 36 characters again cost more
 * than joining them. Never for ids that came from a caller.
 */
export function storedUuidArray(values: readonly string[]): string {
  return `{${values.join(',')}}`;
}

/** Integers (bigint) as an array literal: decimal digits and a sign need no escaping. */
export function int8Array(values: readonly bigint[]): string {
  return `{${values.join(',')}}`;
}

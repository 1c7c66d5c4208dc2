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

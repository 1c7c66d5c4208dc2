// One canonical JSON for everything Kinko hashes: audit entries' detail and the requests an
// Idempotency-Key is bound to. Object keys sorted at every level and undefined members left
// out, so {a,b} and {b,a} are one value; bigint as a decimal string, a Date as its ISO text.
// On what JSON.parse yields (every request body) it is plain JSON with sorted keys, which is
// what the stored request fingerprints were computed with.

/** JSON with object keys sorted at every level, bigint as decimal strings. */
export function canonicalJson(value: unknown): string {
  if (value === null || value === undefined) return 'null';
  if (typeof value === 'bigint') return JSON.stringify(value.toString());
  if (typeof value === 'number') {
    if (!Number.isFinite(value)) throw new Error('canonical JSON numbers must be finite');
    return JSON.stringify(value);
  }
  if (typeof value === 'string' || typeof value === 'boolean') return JSON.stringify(value);
  if (value instanceof Date) return JSON.stringify(value.toISOString());
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (typeof value === 'object') {
    const record = value as Record<string, unknown>;
    const keys = Object.keys(record)
      .filter((k) => record[k] !== undefined)
      .sort();
    return `{${keys.map((k) => `${JSON.stringify(k)}:${canonicalJson(record[k])}`).join(',')}}`;
  }
  throw new Error(`canonical JSON cannot hold a ${typeof value}`);
}

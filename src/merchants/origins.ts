import { merchantsError } from './errors.ts';

// Allowed web origins: the pages that may frame the hosted card fields (frame-ancestors)
// and call the publishable-key endpoints (CORS). An origin is exactly scheme://host[:port];
// production accepts https only, so a look-alike page on plain http can never be allowed.

const ORIGIN_RE = /^https?:\/\/[^/?#\s@]+$/;

function isOrigin(text: string, env: string | undefined): boolean {
  if (!ORIGIN_RE.test(text)) return false;
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    return false;
  }
  if (url.origin !== text) return false;
  return url.protocol === 'https:' || env !== 'production';
}

/** Validated, deduplicated and sorted origins, or origin_invalid naming the first bad one. */
export function checkOrigins(
  origins: readonly string[],
  deps: {
    env?: string | undefined;
    limits: { merchants: { allowedOriginsPerMerchantMax: number } };
  },
): string[] {
  const unique = [...new Set(origins)].sort();
  if (unique.length > deps.limits.merchants.allowedOriginsPerMerchantMax) {
    throw merchantsError('origin_limit_reached', { param: 'allowed_origins' });
  }
  for (const [i, o] of unique.entries()) {
    if (!isOrigin(o, deps.env)) throw merchantsError('origin_invalid', { param: `origins.${i}` });
  }
  return unique;
}

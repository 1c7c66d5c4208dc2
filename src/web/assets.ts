import type { FastifyReply, FastifyRequest } from 'fastify';
import type { Asset, Encoding } from './build.ts';

// How the apps' assets are sent: compressed when the browser accepts it (Brotli first, then
// gzip, negotiated by Accept-Encoding, with Vary so that caches keep the forms apart), and
// cached for a year when the name carries the content hash.

/** Hashed names never change their bytes (RFC 8246: immutable, no revalidation). */
export const HASHED_CACHE_CONTROL = 'public, max-age=31536000, immutable';
/** Stable names (the icons) are revalidated on every use; the ETag makes that a 304. */
const STABLE_CACHE_CONTROL = 'no-cache';

/**
 * The encoding to send for an Accept-Encoding header: Brotli when accepted at least as much
 * as gzip (it is 10–12 % smaller here), else gzip, else none. `q=0` refuses an encoding,
 * and `*` stands for those not named.
 */
export function negotiateEncoding(header: string | undefined): Encoding | undefined {
  const q = new Map<string, number>();
  for (const part of (header ?? '').split(',')) {
    const [name, ...params] = part.trim().toLowerCase().split(';');
    if (!name) continue;
    const given = params.map((p) => p.trim()).find((p) => p.startsWith('q='));
    const value = given === undefined ? 1 : Number(given.slice(2));
    q.set(name, Number.isFinite(value) ? value : 0);
  }
  const of = (e: string) => q.get(e) ?? q.get('*') ?? 0;
  const br = of('br');
  const gzip = of('gzip');
  if (br > 0 && br >= gzip) return 'br';
  return gzip > 0 ? 'gzip' : undefined;
}

/** True when If-None-Match names this ETag (weak or strong, or `*`). */
function notModified(req: FastifyRequest, etag: string): boolean {
  const header = req.headers['if-none-match'];
  if (typeof header !== 'string') return false;
  return header.split(',').some((t) => {
    const tag = t.trim().replace(/^W\//, '');
    return tag === '*' || tag === etag;
  });
}

export async function sendAsset(
  req: FastifyRequest,
  reply: FastifyReply,
  a: Asset,
): Promise<FastifyReply> {
  const encoding = negotiateEncoding(req.headers['accept-encoding']);
  // Each form has its own ETag: a cache must never answer a gzip request with Brotli bytes.
  const etag = encoding ? `${a.etag.slice(0, -1)}-${encoding}"` : a.etag;
  reply
    .header('cache-control', a.hashed ? HASHED_CACHE_CONTROL : STABLE_CACHE_CONTROL)
    .header('vary', 'accept-encoding')
    .header('etag', etag);
  if (notModified(req, etag)) return reply.status(304).send();
  if (encoding) reply.header('content-encoding', encoding);
  return reply.type(a.type).send(encoding ? await a.encoded(encoding) : a.body);
}

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { brotliDecompressSync, gunzipSync } from 'node:zlib';
import Fastify from 'fastify';
import {
  HASHED_CACHE_CONTROL,
  negotiateEncoding,
  WEB_APPS,
  webRoutes,
} from '../src/web/index.ts';

// The apps' scripts and styles: named by content hash and referenced by that name from the
// HTML, cached for a year as immutable, sent Brotli- or gzip-compressed as the browser
// accepts (Vary: Accept-Encoding), and the compressed bytes decode to the same file. The HTML
// itself is never cached, so a deploy is seen at once.

async function app() {
  const server = Fastify();
  webRoutes(server);
  await server.ready();
  return server;
}

test('Accept-Encoding negotiation: Brotli first, q=0 refuses, * stands for the rest', () => {
  assert.equal(negotiateEncoding('gzip, deflate, br, zstd'), 'br');
  assert.equal(negotiateEncoding('gzip'), 'gzip');
  assert.equal(negotiateEncoding('br;q=0, gzip'), 'gzip');
  assert.equal(negotiateEncoding('br;q=0.5, gzip;q=0.8'), 'gzip');
  assert.equal(negotiateEncoding('*'), 'br');
  assert.equal(negotiateEncoding('*;q=0, identity'), undefined);
  assert.equal(negotiateEncoding(''), undefined);
  assert.equal(negotiateEncoding(undefined), undefined);
});

test('HTML names hashed assets; they are immutable, compressed and decode to the same bytes', async () => {
  const server = await app();
  try {
    for (const name of WEB_APPS) {
      const page = await server.inject({ method: 'GET', url: `/${name}` });
      assert.equal(page.statusCode, 200);
      assert.match(String(page.headers['cache-control']), /no-store|no-cache/);
      const script = new RegExp(`src="(/web/${name}\\.([A-Za-z0-9_-]{22})\\.js)"`).exec(page.body);
      const style = /href="(\/web\/kinko\.([A-Za-z0-9_-]{22})\.css)"/.exec(page.body);
      assert.ok(script && style, page.body);
      for (const [, url, hash] of [script, style]) {
        const plain = await server.inject({ method: 'GET', url: url! });
        assert.equal(plain.statusCode, 200);
        assert.equal(plain.headers['content-encoding'], undefined);
        assert.equal(plain.headers['cache-control'], HASHED_CACHE_CONTROL);
        assert.equal(plain.headers['vary'], 'accept-encoding');
        const body = plain.rawPayload;
        assert.equal(createHash('sha256').update(body).digest('base64url').slice(0, 22), hash, 'the name is the content hash');
        const br = await server.inject({ method: 'GET', url: url!, headers: { 'accept-encoding': 'gzip, deflate, br' } });
        assert.equal(br.headers['content-encoding'], 'br');
        assert.equal(br.headers['cache-control'], HASHED_CACHE_CONTROL);
        assert.equal(br.headers['vary'], 'accept-encoding');
        assert.ok(br.rawPayload.length < body.length * 0.5, `${url}: ${br.rawPayload.length} of ${body.length}`);
        assert.deepEqual(brotliDecompressSync(br.rawPayload), body);
        const gz = await server.inject({ method: 'GET', url: url!, headers: { 'accept-encoding': 'gzip' } });
        assert.equal(gz.headers['content-encoding'], 'gzip');
        assert.deepEqual(gunzipSync(gz.rawPayload), body);
        assert.notEqual(gz.headers['etag'], br.headers['etag'], 'each form has its own ETag');
        const again = await server.inject({
          method: 'GET', url: url!, headers: { 'accept-encoding': 'br', 'if-none-match': String(br.headers['etag']) },
        });
        assert.equal(again.statusCode, 304);
      }
    }
    // Only the hashed names are served; the icons keep stable names and are revalidated.
    assert.equal((await server.inject({ method: 'GET', url: '/web/wallet.js' })).statusCode, 404);
    const icon = await server.inject({ method: 'GET', url: '/web/icon.svg', headers: { 'accept-encoding': 'gzip' } });
    assert.equal(icon.statusCode, 200);
    assert.equal(icon.headers['cache-control'], 'no-cache');
    assert.equal(icon.headers['content-encoding'], 'gzip');
  } finally {
    await server.close();
  }
});

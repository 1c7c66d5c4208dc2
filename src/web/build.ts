import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import zlib, { brotliCompress, gzip as gzipCompress, gzipSync } from 'node:zlib';
import { build } from 'esbuild';

// The web apps' build: esbuild bundles each app (Preact + the shared UI kit) into one ES
// module in memory when the server starts. No files are written, so there is no build step
// to forget and nothing stale to serve; bundling all four apps takes a fraction of a second.
// Scripts and the stylesheet are named by their content hash (wallet.<hash>.js), so they
// can be cached for good and a deploy is still seen at once: the HTML, never cached, names
// the new files. Compressed forms (Brotli, gzip) are made once per asset, off the event loop.

export const WEB_APPS = ['wallet', 'pos', 'dashboard', 'console'] as const;
export type WebApp = (typeof WEB_APPS)[number];

/** The quality bar from issue 6: each app's JavaScript, gzipped. */
export const APP_GZIP_BYTES_MAX = 150 * 1024;

const WEB_DIR = path.dirname(fileURLToPath(import.meta.url));

/** A compressed form of an asset, named as in Content-Encoding. */
export type Encoding = 'br' | 'gzip';

export interface Asset {
  body: Buffer;
  type: string;
  etag: string;
  /**
   * True when the URL carries the content hash: its bytes never change, so browsers may
   * keep it for a year without asking again. The icons keep stable names (the manifest and
   * home-screen shortcuts point at them) and are revalidated instead.
   */
  hashed: boolean;
  /** The body compressed, made once (off the event loop) and kept. */
  encoded(encoding: Encoding): Promise<Buffer>;
}

export interface WebBuild {
  /** Served assets by URL path (/web/wallet.3kq…Z.js, /web/kinko.Hf…c.css, /web/icon.svg). */
  assets: Map<string, Asset>;
  /** The URL path each source file is served at: 'wallet.js' → '/web/wallet.3kq…Z.js'. */
  paths: Record<string, string>;
  /** Gzipped bytes of each app's JavaScript. */
  gzipBytes: Record<WebApp, number>;
  buildMs: number;
}

const brotli = promisify(brotliCompress);
const gzip = promisify(gzipCompress);

function asset(body: Buffer, type: string, hashed: boolean): Asset {
  const etag = `"${contentHash(body)}"`;
  const made = new Map<Encoding, Promise<Buffer>>();
  const encoded = (encoding: Encoding) => {
    let p = made.get(encoding);
    if (!p) {
      p =
        encoding === 'br'
          ? brotli(body, {
              params: {
                [zlib.constants.BROTLI_PARAM_QUALITY]: zlib.constants.BROTLI_MAX_QUALITY,
                [zlib.constants.BROTLI_PARAM_SIZE_HINT]: body.length,
              },
            })
          : gzip(body, { level: zlib.constants.Z_BEST_COMPRESSION });
      made.set(encoding, p);
    }
    return p;
  };
  return { body, type, etag, hashed, encoded };
}

/** 22 base64url characters (132 bits) of SHA-256: the name changes whenever a byte does. */
function contentHash(body: Buffer): string {
  return createHash('sha256').update(body).digest('base64url').slice(0, 22);
}

/** 'wallet.js' with its bytes → 'wallet.<hash>.js'. */
function hashedName(file: string, body: Buffer): string {
  const dot = file.lastIndexOf('.');
  return `${file.slice(0, dot)}.${contentHash(body)}${file.slice(dot)}`;
}

export async function buildWeb(): Promise<WebBuild> {
  const started = performance.now();
  const result = await build({
    entryPoints: Object.fromEntries(
      WEB_APPS.map((app) => [app, path.join(WEB_DIR, 'apps', app, 'main.tsx')]),
    ),
    bundle: true,
    write: false,
    format: 'esm',
    platform: 'browser',
    target: 'es2022',
    minify: true,
    legalComments: 'none',
    outdir: '/web',
    jsx: 'automatic',
    jsxImportSource: 'preact',
    define: { 'process.env.NODE_ENV': '"production"' },
    logLevel: 'silent',
  });
  const assets = new Map<string, Asset>();
  const paths: Record<string, string> = {};
  const add = (file: string, body: Buffer, type: string, hashed: boolean) => {
    paths[file] = `/web/${hashed ? hashedName(file, body) : file}`;
    assets.set(paths[file], asset(body, type, hashed));
  };
  const gzipBytes = {} as Record<WebApp, number>;
  for (const file of result.outputFiles) {
    const name = path.basename(file.path);
    const body = Buffer.from(file.contents);
    add(name, body, 'text/javascript; charset=utf-8', true);
    const app = name.replace(/\.js$/, '') as WebApp;
    if ((WEB_APPS as readonly string[]).includes(app)) gzipBytes[app] = gzipSync(body).length;
  }
  for (const [file, type, hashed] of [
    ['kinko.css', 'text/css; charset=utf-8', true],
    ['icon.svg', 'image/svg+xml', false],
    ['icon-maskable.svg', 'image/svg+xml', false],
  ] as const) {
    add(file, fs.readFileSync(path.join(WEB_DIR, 'static', file)), type, hashed);
  }
  return { assets, paths, gzipBytes, buildMs: Math.round(performance.now() - started) };
}

let shared: Promise<WebBuild> | undefined;

/** The process's one build: what the web routes serve and what file integrity hashes. */
export function webBuild(): Promise<WebBuild> {
  shared ??= buildWeb();
  return shared;
}

/**
 * The served assets' SHA-256 by source name ('served/web/wallet.js'): stable names whose
 * hashes change with any byte of the bundle, its npm dependencies included.
 */
export async function servedWebFiles(): Promise<Record<string, string>> {
  const built = await webBuild();
  const out: Record<string, string> = {};
  for (const [file, url] of Object.entries(built.paths)) {
    const a = built.assets.get(url);
    if (a) out[`served/web/${file}`] = createHash('sha256').update(a.body).digest('hex');
  }
  return out;
}

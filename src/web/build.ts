import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';
import { build } from 'esbuild';

// The web apps' build: esbuild bundles each app (Preact + the shared UI kit) into one ES
// module in memory when the server starts. No files are written, so there is no build step
// to forget and nothing stale to serve; bundling all four apps takes a fraction of a second.

export const WEB_APPS = ['wallet', 'pos', 'dashboard', 'console'] as const;
export type WebApp = (typeof WEB_APPS)[number];

/** The quality bar from issue 6: each app's JavaScript, gzipped. */
export const APP_GZIP_BYTES_MAX = 150 * 1024;

const WEB_DIR = path.dirname(fileURLToPath(import.meta.url));

export interface Asset {
  body: Buffer;
  type: string;
  etag: string;
}

export interface WebBuild {
  /** Served assets by URL path (/web/wallet.js, /web/kinko.css, …). */
  assets: Map<string, Asset>;
  /** Gzipped bytes of each app's JavaScript. */
  gzipBytes: Record<WebApp, number>;
  buildMs: number;
}

function asset(body: Buffer, type: string): Asset {
  const etag = `"${createHash('sha256').update(body).digest('base64url').slice(0, 22)}"`;
  return { body, type, etag };
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
  const gzipBytes = {} as Record<WebApp, number>;
  for (const file of result.outputFiles) {
    const name = path.basename(file.path);
    const body = Buffer.from(file.contents);
    assets.set(`/web/${name}`, asset(body, 'text/javascript; charset=utf-8'));
    const app = name.replace(/\.js$/, '') as WebApp;
    if ((WEB_APPS as readonly string[]).includes(app)) gzipBytes[app] = gzipSync(body).length;
  }
  for (const [file, type] of [
    ['kinko.css', 'text/css; charset=utf-8'],
    ['icon.svg', 'image/svg+xml'],
    ['icon-maskable.svg', 'image/svg+xml'],
  ] as const) {
    assets.set(`/web/${file}`, asset(fs.readFileSync(path.join(WEB_DIR, 'static', file)), type));
  }
  return { assets, gzipBytes, buildMs: Math.round(performance.now() - started) };
}

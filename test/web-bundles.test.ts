import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { APP_GZIP_BYTES_MAX, buildWeb, WEB_APPS } from '../src/web/index.ts';
import { appCsp } from '../src/web/index.ts';

// The web apps' quality bar, checked without a browser: each app's JavaScript stays under
// 150 kB gzipped, bundling all four is fast enough to do at every start, the browser code
// imports no server module (only the public HTTP API), and the shells carry no inline code.

const root = path.resolve(path.dirname(new URL(import.meta.url).pathname), '..');
const BUILD_MS_MAX = 5000;

test('each app is under 150 kB of gzipped JavaScript, and bundling is fast', async () => {
  const built = await buildWeb();
  for (const app of WEB_APPS) {
    const bytes = built.gzipBytes[app];
    assert.ok(bytes > 1000, `${app} bundle exists`);
    assert.ok(bytes < APP_GZIP_BYTES_MAX, `${app}: ${bytes} gzipped bytes`);
  }
  assert.ok(built.buildMs < BUILD_MS_MAX, `build took ${built.buildMs} ms`);
  // No runtime asset comes from anywhere but Kinko's origin.
  for (const [name, asset] of built.assets) {
    if (!name.endsWith('.js')) continue;
    assert.doesNotMatch(
      asset.body.toString(),
      /https?:\/\/(?!www\.w3\.org)[a-z0-9.-]+\.[a-z]{2,}\//i,
      `${name} references another origin`,
    );
  }
});

function sources(dir: string, out: string[] = []): string[] {
  for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) sources(p, out);
    else if (/\.tsx?$/.test(e.name) && !e.name.endsWith('.test.ts')) out.push(p);
  }
  return out;
}

// Names the server enforces and the apps offer, defined once: each file imports nothing, so
// bundling it brings no server code along.
const SHARED_WITH_BROWSER = ['src/lib/suspensions.ts'];

// Tests beside browser code (ui/amount.test.ts) run under Node and are never bundled.
test('browser code imports nothing from the server but shared names, preact and qrcode', () => {
  for (const shared of SHARED_WITH_BROWSER) {
    const text = fs.readFileSync(path.join(root, shared), 'utf8');
    assert.doesNotMatch(text, /^\s*(import|export .* from)\b/m, `${shared} imports nothing`);
  }
  const web = path.join(root, 'src', 'web');
  const bad: string[] = [];
  for (const file of [...sources(path.join(web, 'apps')), ...sources(path.join(web, 'ui'))]) {
    for (const m of fs.readFileSync(file, 'utf8').matchAll(/from '([^']+)'/g)) {
      const spec = m[1]!;
      if (spec.startsWith('.')) {
        const target = path.resolve(path.dirname(file), spec);
        const inside = [path.join(web, 'apps'), path.join(web, 'ui')].some((d) =>
          target.startsWith(d + path.sep),
        );
        const shared = SHARED_WITH_BROWSER.includes(path.relative(root, target));
        if (!inside && !shared) bad.push(`${path.relative(root, file)} → ${spec}`);
      } else if (!/^(preact|preact\/hooks|qrcode)$/.test(spec)) {
        bad.push(`${path.relative(root, file)} → ${spec}`);
      }
    }
  }
  assert.deepEqual(bad, []);
});

test('app pages allow only their own origin: no inline script, no third party', () => {
  const csp = appCsp(undefined);
  assert.match(csp, /script-src 'self'(;|$)/);
  assert.match(csp, /style-src 'self'(;|$)/);
  assert.match(csp, /frame-ancestors 'none'/);
  assert.match(csp, /form-action 'self'/);
  assert.doesNotMatch(csp, /unsafe-inline|unsafe-eval|https?:/);
});

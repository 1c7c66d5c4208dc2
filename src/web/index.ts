import type { FastifyReply, FastifyRequest } from 'fastify';
import { closed, Type, type App } from '../http/index.ts';
import { sendAsset } from './assets.ts';
import type { Logger } from '../lib/log.ts';
import { WEB_APPS, webBuild, type WebBuild } from './build.ts';
import { appCsp, appHtml, walletManifest } from './pages.ts';

// Web: the four browser apps — wallet (customers), register (/pos, cashiers), dashboard
// (merchants) and console (operators). They talk to Kinko only through the public HTTP API;
// nothing under src/web/apps or src/web/ui imports a server module. This file serves them.
//
// Glossary
// - app: one single-page application, one HTML shell and one bundled ES module.
// - shell: the app's HTML page; no inline script or style, its own CSP per response.
// - UI kit: src/web/ui — fetch wrapper, i18n (Japanese and English), the words all apps
//   share (words.ts; each app's strings.ts holds only its own), form components (form.tsx:
//   FormCard, fields bound to their form's errors).
// - hashed asset: a script or stylesheet served as name.<content hash>.ext, cached for a year
//   (immutable); the HTML shell, never cached, names the current ones.

export { buildWeb, servedWebFiles, WEB_APPS, APP_GZIP_BYTES_MAX } from './build.ts';
export { appCsp } from './pages.ts';
export { HASHED_CACHE_CONTROL, negotiateEncoding } from './assets.ts';

interface WebRoutesDeps {
  /** Where the hosted card fields are served from when not Kinko's own origin. */
  hostedFieldsOrigin?: string | undefined;
  log?: Logger | undefined;
  /**
   * The publishable key the wallet mounts the hosted card fields with (a merchant whose
   * allowed origins include Kinko's own); read per request, so it may be set after start-up.
   */
  walletPublishableKey?: (() => string | undefined) | undefined;
}

/**
 * Mounts /wallet, /pos, /dashboard, /console and their assets under /web/. The bundles are
 * built in memory when this is called; the server is not ready until they are.
 */
export function webRoutes(app: App, deps: WebRoutesDeps = {}): void {
  const building: Promise<WebBuild> = webBuild();
  // Never an unhandled rejection: onReady below reports a failed build.
  building.catch(() => undefined);
  app.addHook('onReady', async () => {
    const built = await building;
    deps.log?.info({ build_ms: built.buildMs, gzip_bytes: built.gzipBytes }, 'web apps built');
  });
  const csp = appCsp(deps.hostedFieldsOrigin);
  const hide = { schema: { hide: true } };
  for (const name of WEB_APPS) {
    const page = async (_req: FastifyRequest, reply: FastifyReply) => {
      const { paths } = await building;
      const key = name === 'wallet' ? deps.walletPublishableKey?.() : undefined;
      const html = appHtml(name, paths, key);
      return reply
        .header('content-security-policy', csp)
        .header('cache-control', 'no-store')
        .type('text/html; charset=utf-8')
        .send(html);
    };
    app.get(`/${name}`, hide, page);
    app.get(`/${name}/`, hide, page);
    // The freeze link every receipt and security notice carries (identity's freezeLinks)
    // opens the wallet, which shows its "this was not me" page there.
    if (name === 'wallet') app.get('/account/freeze', hide, page);
  }
  app.get('/wallet/manifest.webmanifest', hide, async (_req, reply) =>
    reply
      .header('cache-control', 'no-cache')
      .type('application/manifest+json')
      .send(walletManifest()),
  );
  app.get(
    '/web/:file',
    {
      schema: {
        hide: true,
        params: closed({
          file: Type.String({ pattern: '^[a-z-]+(\\.[A-Za-z0-9_-]{22})?\\.(js|css|svg)$' }),
        }),
      },
    },
    async (req, reply) => {
      const a = (await building).assets.get(`/web/${req.params.file}`);
      if (!a) return reply.callNotFound();
      return sendAsset(req, reply, a);
    },
  );
}

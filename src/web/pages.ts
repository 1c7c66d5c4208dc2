import type { WebApp } from './build.ts';

// The HTML shell of each app and the Content-Security-Policy it is served with. The shell
// holds no inline script or style: one module script and one stylesheet, both from Kinko's
// own origin. The policy is set per response, replacing the API's `default-src 'none'`.

const TITLES: Record<WebApp, string> = {
  wallet: 'Kinko Wallet',
  pos: 'Kinko Register',
  dashboard: 'Kinko Dashboard',
  console: 'Kinko Console',
};

/** The policy of every app page; frame-src names where the hosted card fields come from. */
export function appCsp(hostedFieldsOrigin: string | undefined): string {
  const frames = ["'self'", ...(hostedFieldsOrigin ? [hostedFieldsOrigin] : [])];
  return [
    "default-src 'self'",
    "script-src 'self'",
    "style-src 'self'",
    "img-src 'self' data: blob:",
    "media-src 'self' blob:",
    "connect-src 'self'",
    `frame-src ${frames.join(' ')}`,
    "manifest-src 'self'",
    "form-action 'self'",
    "frame-ancestors 'none'",
    "base-uri 'none'",
    "object-src 'none'",
  ].join('; ');
}

/** The wallet's hosted-fields publishable key, if the platform has one, as a meta tag. */
function metaOf(hostedKey: string | undefined): string {
  const safe = hostedKey && /^pk_[A-Za-z0-9_-]{8,100}$/.test(hostedKey) ? hostedKey : undefined;
  return safe ? `<meta name="kinko-hosted-pk" content="${safe}">\n` : '';
}

/**
 * The app's shell. `paths` maps each source file to the URL it is served at (its content-
 * hashed name, from the build), so the shell always names the current script and styles.
 */
export function appHtml(app: WebApp, paths: Record<string, string>, hostedKey?: string): string {
  const manifest =
    app === 'wallet'
      ? '<link rel="manifest" href="/wallet/manifest.webmanifest">\n' +
        '<meta name="theme-color" content="#0f5132">\n' +
        '<link rel="apple-touch-icon" href="/web/icon.svg">\n'
      : '';
  const css = paths['kinko.css'];
  const script = paths[`${app}.js`];
  return `<!doctype html>
<html lang="ja" data-app="${app}">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1, viewport-fit=cover">
<title>${TITLES[app]}</title>
<link rel="icon" href="/web/icon.svg" type="image/svg+xml">
${manifest}${app === 'wallet' ? metaOf(hostedKey) : ''}<link rel="stylesheet" href="${css}">
<script type="module" src="${script}"></script>
</head>
<body>
<div id="app"><p class="boot">Kinko…</p></div>
<noscript>Kinko needs JavaScript. / Kinko を使うには JavaScript を有効にしてください。</noscript>
</body>
</html>
`;
}

/** The wallet's Web App Manifest: installable from the browser, icons as SVG. */
export function walletManifest(): string {
  return JSON.stringify({
    name: 'Kinko Wallet',
    short_name: 'Kinko',
    description: 'Pay at the register with a one-time code. / ワンタイムコードでお支払い',
    id: '/wallet',
    start_url: '/wallet',
    scope: '/wallet',
    display: 'standalone',
    orientation: 'portrait',
    background_color: '#ffffff',
    theme_color: '#0f5132',
    lang: 'ja',
    icons: [
      { src: '/web/icon.svg', sizes: 'any', type: 'image/svg+xml', purpose: 'any' },
      { src: '/web/icon-maskable.svg', sizes: 'any', type: 'image/svg+xml', purpose: 'maskable' },
    ],
  });
}

import type { FastifyReply, FastifyRequest, preHandlerAsyncHookHandler } from 'fastify';
import { closed, parseJson, sourceOf, Type, type App } from '../http/index.ts';
import { CSP_REPORT_PATH, newNonce, paymentPageCsp, sendPaymentPage } from '../acquirer/index.ts';
import type { Vault } from './service.ts';
import { hostedFieldsHtml } from './pages.ts';
import type { ScriptEntry } from './inventory.ts';
import { vaultError } from './errors.ts';

// Thin handlers for the vault: payment-page scripts and their inventory, the hosted card
// fields page, the tokenize endpoints, and the CSP report sink.

const TOKENIZE_PATH = '/v1/vault/hosted/tokenize';
const COMPLETE_PATH = '/v1/vault/hosted/complete';

const CARD_PROPERTIES = {
  number: Type.String({ minLength: 12, maxLength: 23 }),
  exp_month: Type.Integer({ minimum: 0, maximum: 99 }),
  exp_year: Type.Integer({ minimum: 0, maximum: 9999 }),
};
const cvc = Type.String({ minLength: 1, maxLength: 4 });
/** The hosted fields always send the security code; a server-to-server call may not. */
const hostedCardBody = closed({ ...CARD_PROPERTIES, cvc });
const serverCardBody = closed({ ...CARD_PROPERTIES, cvc: Type.Optional(cvc) });

function header(req: FastifyRequest, name: string): string | undefined {
  const v = req.headers[name];
  return typeof v === 'string' ? v : undefined;
}

export function vaultRoutes(
  app: App,
  deps: { vault: Vault; requireOperator: preHandlerAsyncHookHandler },
): void {
  cspGroupsRoute(app, deps.vault, deps.requireOperator);
  scriptRoutes(app, deps.vault);
  hostedPageRoute(app, deps.vault);
  tokenizeRoutes(app, deps.vault);
  app.register(async (scope) => cspReportRoute(scope, deps.vault));
}

function sendScript(reply: FastifyReply, s: ScriptEntry, crossOrigin: boolean): FastifyReply {
  if (crossOrigin) {
    // Merchant pages load the loader cross-origin with SRI, which needs CORS.
    reply
      .header('access-control-allow-origin', '*')
      .header('cross-origin-resource-policy', 'cross-origin');
  }
  return reply
    .header('cache-control', 'public, max-age=300')
    .header('x-content-type-options', 'nosniff')
    .type('application/javascript; charset=utf-8')
    .send(s.body);
}

function scriptRoutes(app: App, vault: Vault): void {
  for (const s of vault.scripts.entries) {
    app.get(s.path, { schema: { hide: true } }, async (_req, reply) =>
      sendScript(reply, s, s.name === 'kinko'),
    );
  }
  const loader = vault.scripts.entry('kinko');
  app.get(
    '/js/kinko.js.sri',
    { schema: { summary: 'SRI hash of the merchant-side loader' } },
    async (_req, reply) => {
      reply.header('access-control-allow-origin', '*');
      return { path: loader.path, integrity: loader.integrity };
    },
  );
  app.get(
    '/js/inventory.json',
    { schema: { summary: 'Payment-page script inventory' } },
    async () => ({
      scripts: vault.scripts.entries.map((e) => ({
        path: e.path,
        integrity: e.integrity,
        bytes: e.bytes,
        purpose: e.purpose,
      })),
    }),
  );
}

function hostedPageRoute(app: App, vault: Vault): void {
  app.get(
    '/hosted/fields',
    {
      schema: {
        hide: true,
        querystring: closed({
          pk: Type.String({ maxLength: 80 }),
          origin: Type.String({ maxLength: 200 }),
        }),
      },
    },
    async (req, reply) => {
      const q = req.query;
      const session = await vault.openHostedSession({
        publishableKey: q.pk,
        parentOrigin: q.origin,
      });
      const nonce = newNonce();
      const html = hostedFieldsHtml(
        {
          sessionKey: session.key,
          parentOrigin: session.parentOrigin,
          tokenizePath: TOKENIZE_PATH,
          completePath: COMPLETE_PATH,
        },
        nonce,
        vault.scripts.entry('fields'),
      );
      // Framed only by the one registered merchant origin this session reports to.
      const csp = paymentPageCsp({
        nonce,
        frameAncestors: [session.parentOrigin],
        frameSelf: true,
      });
      return sendPaymentPage(reply, html, csp);
    },
  );
}

// CORS: the hosted fields page is same-origin with these endpoints, so the only origin ever
// allowed is Kinko's own; a preflight from anywhere else is refused.
function cors(vault: Vault, req: FastifyRequest, reply: FastifyReply): void {
  if (header(req, 'origin') === vault.publicOrigin) {
    reply.header('access-control-allow-origin', vault.publicOrigin).header('vary', 'origin');
  }
}

function hostedCall(req: FastifyRequest) {
  return {
    origin: header(req, 'origin'),
    sessionKey: header(req, 'x-kinko-session-key'),
    source: sourceOf(req),
  };
}

function tokenizeRoutes(app: App, vault: Vault): void {
  for (const path of [TOKENIZE_PATH, COMPLETE_PATH]) {
    app.options(path, { schema: { hide: true } }, async (req, reply) => {
      if (header(req, 'origin') !== vault.publicOrigin) throw vaultError('hosted_origin_refused');
      cors(vault, req, reply);
      return reply
        .header('access-control-allow-methods', 'POST')
        .header('access-control-allow-headers', 'content-type, x-kinko-session-key')
        .status(204)
        .send();
    });
  }
  app.post(
    TOKENIZE_PATH,
    { schema: { summary: 'Tokenize from the hosted card fields', body: hostedCardBody } },
    async (req, reply) => {
      cors(vault, req, reply);
      const b = req.body;
      const card = { number: b.number, expMonth: b.exp_month, expYear: b.exp_year, cvc: b.cvc };
      return outcomeJson(await vault.hostedTokenize(hostedCall(req), card));
    },
  );
  app.post(
    COMPLETE_PATH,
    {
      schema: {
        summary: 'Hosted card fields: result after 3-D Secure',
        body: closed({}),
      },
    },
    async (req, reply) => {
      cors(vault, req, reply);
      return outcomeJson(await vault.hostedComplete(hostedCall(req)));
    },
  );
  secretKeyRoute(app, vault);
}

function secretKeyRoute(app: App, vault: Vault): void {
  app.post(
    '/v1/vault/cards',
    {
      schema: {
        summary: 'Tokenize server-to-server (card-data-capable merchants only)',
        body: serverCardBody,
      },
    },
    async (req) => {
      const b = req.body;
      const auth = header(req, 'authorization');
      const secretKey = auth?.startsWith('Bearer ') ? auth.slice(7) : undefined;
      const card = await vault.secretKeyTokenize({
        secretKey,
        source: sourceOf(req),
        card: { number: b.number, expMonth: b.exp_month, expYear: b.exp_year, cvc: b.cvc },
      });
      return { token: card.token, brand: card.brand, bin: card.bin, last4: card.last4 };
    },
  );
}

function outcomeJson(o: Awaited<ReturnType<Vault['hostedTokenize']>>): Record<string, unknown> {
  if (o.status === 'requires_action') return { status: o.status, challenge_url: o.challengeUrl };
  return {
    status: o.status,
    card: { token: o.card.token, brand: o.card.brand, last4: o.card.last4 },
  };
}

const text = (maxLength: number) => Type.Optional(Type.String({ maxLength }));
// Stored as int4: a number beyond it is no line a browser reports.
const int4 = Type.Optional(Type.Integer({ minimum: 0, maximum: 2_147_483_647 }));
const REPORT_FIELDS = {
  'document-uri': text(2000),
  referrer: text(2000),
  'violated-directive': text(200),
  'effective-directive': text(200),
  'original-policy': text(4000),
  disposition: text(20),
  'blocked-uri': text(2000),
  'line-number': int4,
  'column-number': int4,
  'source-file': text(2000),
  'status-code': Type.Optional(Type.Integer({ minimum: 0, maximum: 999 })),
  'script-sample': text(200),
};

const cspGroupsQuery = closed({
  hours: Type.Optional(Type.Integer({ minimum: 1, maximum: 24 * 30 })),
  bucket_seconds: Type.Optional(Type.Integer({ minimum: 60, maximum: 86_400 })),
});

/** The console's CSP view: every operator (incidents.read) sees it. */
function cspGroupsRoute(app: App, vault: Vault, requireOperator: preHandlerAsyncHookHandler) {
  app.get(
    '/v1/console/csp_reports',
    {
      preHandler: requireOperator,
      schema: {
        summary: 'CSP reports grouped by page, directive and blocked origin, counted over time',
        querystring: cspGroupsQuery,
      },
    },
    async (req) => ({
      object: 'list',
      data: await vault.cspReportGroups({
        hours: req.query.hours ?? 24,
        bucketSeconds: req.query.bucket_seconds ?? 3600,
      }),
    }),
  );
}

async function cspReportRoute(scope: App, vault: Vault): Promise<void> {
  // Browsers send reports as application/csp-report: JSON under another name. This parser
  // exists only inside this scope; every other route still accepts application/json alone.
  scope.addContentTypeParser(
    'application/csp-report',
    { parseAs: 'string', bodyLimit: 8192 },
    (req, body, done) => parseJson(req, body as string, done),
  );
  scope.post(
    CSP_REPORT_PATH,
    {
      bodyLimit: 8192,
      logLevel: 'warn',
      schema: {
        hide: true,
        body: closed({ 'csp-report': closed(REPORT_FIELDS) }),
      },
    },
    async (req, reply) => {
      await vault.storeCspReport(req.body['csp-report']);
      return reply.status(204).send();
    },
  );
}

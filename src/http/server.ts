import Fastify, {
  LogController,
  type FastifyBaseLogger,
  type FastifyError,
  type FastifyInstance,
  type FastifyReply,
  type FastifyRequest,
  type RawReplyDefaultExpression,
  type RawRequestDefaultExpression,
  type RawServerDefault,
  type RouteOptions,
} from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import swagger, { type OpenAPIV3_2 } from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import { Ajv, type Options as AjvOptions } from 'ajv';
import addFormats from 'ajv-formats';
import type { Limits } from '../config.ts';
import { DB_RETRY_AFTER_SECONDS, isDatabaseUnavailable, dbError } from '../db/index.ts';
import { InvariantError } from '../lib/assert.ts';
import { KinkoError } from '../lib/errors.ts';
import { publicId } from '../lib/ids.ts';
import type { Logger } from '../lib/log.ts';
import { holdsCardNumber } from '../lib/card-numbers.ts';
import { errorBody } from './error-body.ts';
import { statusOf, httpError } from './errors.ts';
import { NO_CARD_NUMBER } from './schema.ts';
import { trustProxyOption } from './source.ts';

// The HTTP server: Fastify with one error shape, strict schemas and strict content types.
// Every route must declare its schema; unknown body fields, query parameters and content
// types are refused before a handler runs (GMO-PG 2017 began with a crafted Content-Type
// reaching a parser that should never have seen it).

/** The server as routes see it: schemas are TypeBox, so a handler's types follow from them. */
export type App = FastifyInstance<
  RawServerDefault,
  RawRequestDefaultExpression,
  RawReplyDefaultExpression,
  FastifyBaseLogger,
  TypeBoxTypeProvider
>;

interface ServerOptions {
  log: Logger;
  limits: Limits;
  version: string;
  /** KINKO_TRUSTED_PROXIES: peers whose X-Forwarded-For is believed (source.ts). */
  trustedProxies?: readonly string[];
  /**
   * Told of every answered request: its route template (undefined when none matched), status
   * and seconds taken. Metrics count it; it must only count (it runs on every request).
   */
  onResponse?: (method: string, route: string | undefined, status: number, seconds: number) => void;
  /** Registers the modules' routes; called after the strict defaults are installed. */
  routes: (app: App) => Promise<void> | void;
}

const REQUEST_ID = /^[A-Za-z0-9_-]{8,64}$/;

/**
 * Helmet's set, written out: computing them per request cost more than routing it. The CSP
 * is the API's (nothing may load, frame or submit), with what /docs needs to render.
 */
const SECURITY_HEADERS: Readonly<Record<string, string>> = Object.freeze({
  'cache-control': 'no-store',
  'content-security-policy': [
    "default-src 'none'",
    "base-uri 'none'",
    "font-src 'self' https: data:",
    "form-action 'none'",
    "frame-ancestors 'none'",
    "img-src 'self' data:",
    "object-src 'none'",
    "script-src 'self'",
    "script-src-attr 'none'",
    "style-src 'self' https: 'unsafe-inline'",
    'upgrade-insecure-requests',
  ].join(';'),
  'cross-origin-opener-policy': 'same-origin',
  'cross-origin-resource-policy': 'same-origin',
  'origin-agent-cluster': '?1',
  'referrer-policy': 'no-referrer',
  'strict-transport-security': 'max-age=63072000; includeSubDomains; preload',
  'x-content-type-options': 'nosniff',
  'x-dns-prefetch-control': 'off',
  'x-download-options': 'noopen',
  'x-frame-options': 'SAMEORIGIN',
  'x-permitted-cross-domain-policies': 'none',
  'x-xss-protection': '0',
});
const BODY_METHODS = new Set(['POST', 'PUT', 'PATCH']);

function ajv(options: AjvOptions): Ajv {
  const instance = new Ajv({
    removeAdditional: false,
    useDefaults: true,
    allErrors: false,
    strict: false,
    ...options,
  });
  addFormats.default(instance);
  instance.addKeyword({
    keyword: NO_CARD_NUMBER,
    type: 'string',
    schemaType: 'boolean',
    validate: (on: boolean, data: string) => !on || !holdsCardNumber(data),
  });
  return instance;
}

export async function createServer(options: ServerOptions): Promise<App> {
  const app = Fastify({
    loggerInstance: options.log as unknown as FastifyBaseLogger,
    bodyLimit: options.limits.httpBodyBytesMax,
    requestTimeout: options.limits.httpRequestTimeoutMs,
    logController: new LogController({ requestIdLogLabel: 'request_id' }),
    genReqId: (req) => {
      const given = req.headers['x-request-id'];
      return typeof given === 'string' && REQUEST_ID.test(given) ? given : publicId('req');
    },
    onProtoPoisoning: 'error',
    onConstructorPoisoning: 'error',
    return503OnClosing: true,
    trustProxy: trustProxyOption(options.trustedProxies ?? []),
    routerOptions: { ignoreTrailingSlash: false },
  }).withTypeProvider<TypeBoxTypeProvider>();

  // Bodies are validated without type coercion: "100" is not an amount. Query strings and
  // path parameters are text by nature, so they are coerced to the declared types.
  const strict = ajv({ coerceTypes: false });
  const lenient = ajv({ coerceTypes: true });
  app.setValidatorCompiler(({ schema, httpPart }) =>
    (httpPart === 'body' ? strict : lenient).compile(schema),
  );

  // Only JSON bodies exist. Fastify's text/plain parser goes; anything else is a 415.
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('application/json', { parseAs: 'string' }, parseJson);

  // The same security headers on every answer, computed once: pages that need another CSP
  // (the web apps, hosted fields, the card network's challenge page) replace it per reply.
  app.addHook('onRequest', (req, reply, done) => {
    void reply.headers(SECURITY_HEADERS).header('x-request-id', req.id);
    // A NUL in a path or query parameter would reach PostgreSQL, which cannot hold one.
    if (req.url.includes('%00')) {
      return done(
        httpError('parameter_invalid', {
          param: 'url',
          message: 'The URL cannot contain the NUL character (%00).',
        }),
      );
    }
    done();
  });
  if (options.onResponse) observeResponses(app, options.onResponse);
  await registerDocs(app, options.version);

  app.addHook('onRoute', requireSchemas);
  app.setErrorHandler(handleError);
  app.setNotFoundHandler((req, reply) => {
    sendError(
      req,
      reply,
      httpError('route_not_found', {
        message: `No route ${req.method} ${req.url.split('?')[0]}.`,
      }),
    );
  });

  await app.register(async (scope) =>
    options.routes(scope.withTypeProvider<TypeBoxTypeProvider>()),
  );
  return app;
}

function observeResponses(app: App, observe: NonNullable<ServerOptions['onResponse']>): void {
  app.addHook('onResponse', (req, reply, done) => {
    // No route matched: routeOptions.url is undefined, so unknown paths share one label.
    observe(req.method, req.routeOptions.url, reply.statusCode, reply.elapsedTime / 1000);
    done();
  });
}

const FORBIDDEN_KEY_TEXT = /__proto__|constructor/;

/** Thrown by the reviver: a key that could reach an object's prototype, refused by name. */
class ForbiddenKey extends Error {
  constructor(readonly key: string) {
    super('forbidden key');
  }
}

function refuseForbiddenKeys(key: string, v: unknown): unknown {
  if (key === '__proto__' || key === 'constructor') throw new ForbiddenKey(key);
  return v;
}

/**
 * A body Kinko would misread: compressed (Content-Encoding) or in a charset other than UTF-8.
 * Both are refused by name rather than decoded as UTF-8 text and answered "not valid JSON".
 */
function refusedEncoding(req: FastifyRequest): KinkoError | undefined {
  const encoding = req.headers['content-encoding']?.trim().toLowerCase();
  if (encoding && encoding !== 'identity') {
    return httpError('content_encoding_unsupported', {
      param: 'Content-Encoding',
      message:
        `Content-Encoding ${encoding} is not accepted: send the request body ` +
        'uncompressed, without a Content-Encoding header.',
    });
  }
  const charset = /;\s*charset\s*=\s*"?([^";\s]*)"?/i.exec(req.headers['content-type'] ?? '')?.[1];
  if (charset !== undefined && charset.toLowerCase() !== 'utf-8') {
    return httpError('charset_unsupported', {
      param: 'Content-Type',
      message: `The charset ${charset} is not accepted: send the request body as UTF-8.`,
    });
  }
  return undefined;
}

/**
 * The platform's JSON body parser (for content-type parsers): forbidden keys, a NUL or a lone
 * surrogate refused with named errors. A route that takes JSON under another content type
 * (CSP reports) parses it with this too.
 */
export function parseJson(
  req: FastifyRequest,
  body: string,
  done: (err: Error | null, value?: unknown) => void,
) {
  const refused = refusedEncoding(req);
  if (refused) return done(refused);
  if (body.length === 0) return done(httpError('body_missing'));
  try {
    // A reviver on every key costs more than the parse. A body that cannot spell a forbidden
    // key, not even through a \u escape, is parsed without one.
    const plain = !body.includes('\\') && !FORBIDDEN_KEY_TEXT.test(body);
    const value: unknown = plain ? JSON.parse(body) : JSON.parse(body, refuseForbiddenKeys);
    // JSON.parse keeps the last of two equal keys, so {"identifier":"a","identifier":"b"}
    // would mean one thing to a proxy or log reader and another to Kinko: refuse it by name.
    const duplicate = duplicateKeyPath(body);
    if (duplicate !== undefined) {
      return done(
        httpError('parameter_duplicate', {
          param: duplicate,
          message: `The body field ${duplicate} appears more than once.`,
        }),
      );
    }
    // PostgreSQL cannot store U+0000 in text, nor a lone surrogate in jsonb: a string with one
    // would fail its INSERT with a 500. Only \u escapes can spell them (a raw NUL is not valid
    // JSON, and the body is decoded from UTF-8, which has no surrogates).
    const bad = body.includes('\\u') ? unstorablePath(value, '') : undefined;
    if (bad !== undefined) {
      const param = bad || 'body';
      return done(
        httpError('parameter_invalid', {
          param,
          message:
            `Invalid body field ${param}: text must be well-formed Unicode ` +
            'without the NUL character (\\u0000).',
        }),
      );
    }
    done(null, value);
  } catch (e) {
    if (!(e instanceof ForbiddenKey)) return done(httpError('body_invalid_json'));
    done(
      httpError('parameter_forbidden_key', {
        param: e.key,
        message: `The key ${e.key} is not accepted anywhere in a request body.`,
      }),
    );
  }
}

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const OPEN_OBJECT = 0x7b;
const CLOSE_OBJECT = 0x7d;
const OPEN_ARRAY = 0x5b;
const CLOSE_ARRAY = 0x5d;
const COMMA = 0x2c;

/**
 * The dotted path of the first key that appears twice in one object, at any depth; undefined
 * when there is none. `text` must already have parsed as JSON, so a scan only tracks strings
 * and brackets. Keys are compared decoded ("a" and "\\u0061" are the same key).
 */
export function duplicateKeyPath(text: string): string | undefined {
  const quick = hasDuplicateKeyQuick(text);
  return quick === false ? undefined : namedDuplicateKey(text);
}

/** Keys the quick scan compares pairwise; a body with more goes to the Set-based scan. */
const QUICK_SCAN_KEYS_MAX = 64;

/**
 * The hot path: one flat list of the open objects' keys, searched linearly (a typical body
 * has a dozen keys), and no allocation per object. Undefined when the body has too many keys
 * for pairwise search to stay cheap. CPU time measured: 0.25 µs on a 77-byte sign-in body,
 * 1.0–1.4 µs on a 208-byte payment body (JSON.parse of the same: 0.4–0.7 and 1.3–1.9 µs);
 * under 1 % of the 135–180 µs the HTTP layer costs per request.
 */
function hasDuplicateKeyQuick(text: string): boolean | undefined {
  const keys: string[] = [];
  /** Where each enclosing container's keys begin in `keys`; -1 for an array. */
  const starts: number[] = [];
  let start = -1;
  let expectKey = false;
  const n = text.length;
  for (let i = 0; i < n; i++) {
    const c = text.charCodeAt(i);
    if (c === QUOTE) {
      const end = stringEnd(text, i);
      if (expectKey) {
        const key = keyAt(text, i, end);
        for (let k = start; k < keys.length; k++) if (keys[k] === key) return true;
        if (keys.push(key) > QUICK_SCAN_KEYS_MAX) return undefined;
        expectKey = false;
      }
      i = end;
    } else if (c === OPEN_OBJECT || c === OPEN_ARRAY) {
      starts.push(start);
      start = c === OPEN_OBJECT ? keys.length : -1;
      expectKey = c === OPEN_OBJECT;
    } else if (c === CLOSE_OBJECT || c === CLOSE_ARRAY) {
      if (start >= 0) keys.length = start;
      start = starts.pop() ?? -1;
      expectKey = false;
    } else if (c === COMMA) {
      expectKey = start >= 0;
    }
  }
  return false;
}

/** A key's decoded text: escapes (rare in keys) go through JSON.parse. */
function keyAt(text: string, open: number, close: number): string {
  const raw = text.slice(open + 1, close);
  return raw.includes('\\') ? (JSON.parse(text.slice(open, close + 1)) as string) : raw;
}

/** One open object or array while naming a duplicate: its keys (null for an array). */
interface ScanFrame {
  keys: Set<string> | null;
  expectKey: boolean;
  lastKey: string;
  index: number;
}

/** The Set-based scan: linear in any body, and it names the path of the duplicate. */
function namedDuplicateKey(text: string): string | undefined {
  const stack: ScanFrame[] = [];
  let top: ScanFrame | undefined;
  const n = text.length;
  for (let i = 0; i < n; i++) {
    const c = text.charCodeAt(i);
    if (c === QUOTE) {
      const end = stringEnd(text, i);
      if (top?.keys && top.expectKey) {
        const key = keyAt(text, i, end);
        if (top.keys.has(key)) return pathOf(stack, key);
        top.keys.add(key);
        top.lastKey = key;
        top.expectKey = false;
      }
      i = end;
    } else if (c === OPEN_OBJECT || c === OPEN_ARRAY) {
      const isObject = c === OPEN_OBJECT;
      top = { keys: isObject ? new Set() : null, expectKey: isObject, lastKey: '', index: 0 };
      stack.push(top);
    } else if (c === CLOSE_OBJECT || c === CLOSE_ARRAY) {
      stack.pop();
      top = stack[stack.length - 1];
    } else if (c === COMMA && top) {
      if (top.keys) top.expectKey = true;
      else top.index += 1;
    }
  }
  return undefined;
}

/** The index of the quote that closes the string opened at `start`. */
function stringEnd(text: string, start: number): number {
  let end = text.indexOf('"', start + 1);
  for (;;) {
    let backslashes = 0;
    while (text.charCodeAt(end - 1 - backslashes) === BACKSLASH) backslashes += 1;
    if (backslashes % 2 === 0) return end;
    end = text.indexOf('"', end + 1);
  }
}

function pathOf(stack: readonly ScanFrame[], key: string): string {
  let path = '';
  for (let d = 0; d < stack.length - 1; d++) {
    const f = stack[d]!;
    path = f.keys ? (path ? `${path}.${f.lastKey}` : f.lastKey) : `${path}[${f.index}]`;
  }
  return path ? `${path}.${key}` : key;
}

const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

/**
 * The dotted path of the first string (or key) PostgreSQL cannot store: one holding U+0000
 * or a lone surrogate. Undefined when there is none.
 */
function unstorablePath(value: unknown, path: string): string | undefined {
  const unstorable = (text: string) => text.includes('\0') || LONE_SURROGATE.test(text);
  if (typeof value === 'string') return unstorable(value) ? path : undefined;
  if (value === null || typeof value !== 'object') return undefined;
  for (const [k, v] of Object.entries(value)) {
    const at = Array.isArray(value) ? `${path}[${k}]` : path ? `${path}.${k}` : k;
    if (unstorable(k)) return at;
    const found = unstorablePath(v, at);
    if (found !== undefined) return found;
  }
  return undefined;
}

/** Every route declares its inputs; where it declares none, none are accepted. */
function requireSchemas(route: RouteOptions): void {
  if (route.url.startsWith('/docs')) return;
  const schema = (route.schema ??= {});
  const methods = Array.isArray(route.method) ? route.method : [route.method];
  const takesBody = methods.some((m) => BODY_METHODS.has(m));
  if (takesBody && !schema.body) {
    throw new Error(`route ${methods.join(',')} ${route.url} has no body schema`);
  }
  if (schema.body) assertClosed(schema.body, `${route.url} body`);
  schema.querystring ??= { type: 'object', properties: {}, additionalProperties: false };
  assertClosed(schema.querystring, `${route.url} querystring`);
}

function assertClosed(schema: unknown, where: string): void {
  const s = schema as { type?: string; additionalProperties?: unknown };
  if (s.type === 'object' && s.additionalProperties !== false) {
    throw new Error(`schema for ${where} must set additionalProperties: false`);
  }
}

const OBJECT = { type: 'object', additionalProperties: true } as const;
const STRINGS = { type: 'array', items: { type: 'string' } } as const;
const SCRIPTS = {
  type: 'array',
  items: {
    type: 'object',
    properties: { url: { type: 'string' }, sha256: { type: 'string', pattern: '^[0-9a-f]{64}$' } },
  },
} as const;

/** The payment-page monitor's alert (pagewatch/), as webhookEventsDoc lists it. */
const PAGE_ALERT_DOC = {
  'page.integrity_alert': {
    post: {
      summary: 'An unapproved change on one of your watched payment pages (PCI DSS 11.6.1)',
      description:
        'Sent when the page monitor loads a registered checkout page and it differs from ' +
        'the approved inventory in a way that matters: a new or changed script, a changed ' +
        'security header, a new frame or form action. Sent once per new change; approve a ' +
        'legitimate change with POST /v1/pages/{id}/approve. Signed like every event.',
      requestBody: {
        content: {
          'application/json': {
            schema: {
              type: 'object',
              properties: {
                id: { type: 'string' },
                type: { const: 'page.integrity_alert' },
                created: { type: 'integer' },
                data: {
                  type: 'object',
                  properties: {
                    object: {
                      type: 'object',
                      properties: {
                        id: { type: 'string', description: 'the observation (pgobs_…)' },
                        object: { const: 'page_alert' },
                        page_id: { type: 'string' },
                        url: { type: 'string' },
                        observed_at: { type: 'string', format: 'date-time' },
                        difference: {
                          type: 'object',
                          properties: {
                            scripts_added: SCRIPTS,
                            scripts_changed: SCRIPTS,
                            scripts_removed: SCRIPTS,
                            headers_changed: { type: 'array', items: OBJECT },
                            frames_added: STRINGS,
                            frames_removed: STRINGS,
                            form_actions_added: STRINGS,
                            form_actions_removed: STRINGS,
                          },
                        },
                      },
                    },
                  },
                },
              },
            },
          },
        },
      },
      responses: { '2XX': { description: 'Received; any other answer is retried.' } },
    },
  },
} as const;

/** A web payment held by the risk review, and how the review ended (checkout/review.ts). */
function reviewEventDoc(type: 'payment.review_opened' | 'payment.review_closed') {
  const review = {
    type: 'object',
    required: ['id', 'open'],
    properties: {
      id: { type: 'string', pattern: '^rv_' },
      open: { type: 'boolean' },
      outcome: {
        enum: ['approved', 'declined', 'expired', 'canceled'],
        description:
          'approved: captured (automatic) or requires_capture (manual); declined: voided, ' +
          'canceled (review_declined); expired: not decided within the authorization, ' +
          'voided; canceled: the merchant canceled it while held.',
      },
    },
  };
  const payment = {
    type: 'object',
    description: 'The payment as GET /v1/payments/{id} returns it, with review.',
    properties: {
      id: { type: 'string', pattern: '^pay_' },
      object: { const: 'payment' },
      status: { type: 'string' },
      review,
    },
  };
  return {
    post: {
      summary:
        type === 'payment.review_opened'
          ? 'A web payment is authorized and held for Kinko’s risk review (requires_review)'
          : 'The risk review of a held web payment ended (review.outcome)',
      description:
        'While held, capture and confirm answer 409 payment_under_review; cancel voids the ' +
        'authorization. Signed with Kinko-Signature like every event (docs/webhooks.md).',
      requestBody: {
        content: {
          'application/json': {
            schema: {
              type: 'object',
              properties: {
                id: { type: 'string', pattern: '^evt_' },
                object: { const: 'event' },
                type: { const: type },
                created: { type: 'integer' },
                data: { type: 'object', properties: { object: payment } },
              },
            },
          },
        },
      },
      responses: { '2XX': { description: 'Received; any other answer is retried.' } },
    },
  };
}

/**
 * Webhook events whose payload the API document describes (OpenAPI 3.1 `webhooks`); every
 * event type and its envelope is in docs/webhooks.md.
 */
function webhookEventsDoc(): Record<string, OpenAPIV3_2.PathItemObject> {
  type Schema = Record<string, unknown>;
  const obj = (properties: Record<string, Schema>, required: string[] = []): Schema => ({
    type: 'object' as const,
    required,
    properties,
  });
  const text = { type: 'string' as const };
  const integer = { type: 'integer' as const };
  const affected = obj({
    payments: integer,
    amount: { type: 'string' as const, description: 'minor units' },
    currency: text,
    stores: integer,
  });
  const notice = obj(
    {
      id: { type: 'string' as const, pattern: '^mnt_' },
      object: { const: 'incident_notice' },
      incident: text,
      created: { type: 'integer' as const, description: 'Unix seconds' },
      window: obj({ from: text, to: text }),
      affected,
      contact: text,
    },
    ['id', 'object', 'incident', 'created', 'window', 'affected', 'contact'],
  );
  const envelope = obj(
    {
      id: { type: 'string' as const, pattern: '^evt_' },
      object: { const: 'event' },
      type: { const: 'incident.merchant_notice' },
      created: integer,
      data: obj({ object: notice }),
    },
    ['id', 'object', 'type', 'created', 'data'],
  );
  const doc = {
    'incident.merchant_notice': {
      post: {
        summary: 'A security incident reached some of the merchant’s payments (once each)',
        description:
          'Signed with Kinko-Signature like every event (docs/webhooks.md); names no ' +
          'customer and no card. The merchant’s owners and admins get the same by email.',
        requestBody: { content: { 'application/json': { schema: envelope } } },
        responses: { '200': { description: 'Any 2xx ends the delivery.' } },
      },
    },
  };
  // Plain JSON Schema literals, as the routes' schemas are; openapi-types' unions of schema
  // objects do not take them as written, so the document is typed once here.
  const reviews = {
    'payment.review_opened': reviewEventDoc('payment.review_opened'),
    'payment.review_closed': reviewEventDoc('payment.review_closed'),
  };
  return { ...doc, ...PAGE_ALERT_DOC, ...reviews } as unknown as Record<
    string,
    OpenAPIV3_2.PathItemObject
  >;
}

async function registerDocs(app: App, version: string): Promise<void> {
  await app.register(swagger, {
    openapi: {
      openapi: '3.1.0',
      info: {
        title: 'Kinko API',
        version,
        description:
          'Wallet, code payments at the register, card gateway, merchant dashboard and ' +
          'operator APIs.\n\n' +
          'Kill switches: while Kinko’s operators suspend a service (sign-up, sign-in, ' +
          'recovery, new devices, card linking, top-ups, code and store QR payments, web ' +
          'payments, refunds, webhook deliveries — for everyone or for one merchant, store, ' +
          'terminal, customer, device, card range or network), a request it covers is ' +
          'answered 503 `service_suspended`. The error names what is suspended in ' +
          '`suspended` (the operation, or `everything`) and `scope` (`all`, `merchant`, …), ' +
          'and its message says it in words to show people. Nothing was done: retry later, ' +
          'with the same Idempotency-Key if there was one (a refused request does not use ' +
          'its key up).\n\n' +
          'Request bodies: JSON only, as `application/json` in UTF-8 (no charset, or ' +
          '`charset=utf-8`), uncompressed. Another media type is answered 415 ' +
          '`unsupported_media_type`; a `Content-Encoding` (gzip, deflate, br, …) 415 ' +
          '`content_encoding_unsupported`; another charset 415 `charset_unsupported`. The ' +
          'keys `__proto__` and `constructor` are refused at any depth with 400 ' +
          '`parameter_forbidden_key`, naming the key in `param`.',
      },
      webhooks: webhookEventsDoc(),
      components: {
        securitySchemes: {
          secretKey: { type: 'http', scheme: 'bearer', description: 'sk_… secret key' },
          // The dashboard reaches the same merchant routes with a person's session instead
          // of a key: the role decides, and Kinko-Mode: test selects test-mode records.
          merchantPerson: {
            type: 'apiKey',
            in: 'cookie',
            name: '__Host-kinko_merchant',
            description:
              'A merchant person’s dashboard session (POST /v1/dashboard/login: password and ' +
              'TOTP or a recovery code); send no Authorization header with it.',
          },
        },
      },
    },
  });
  await app.register(swaggerUi, { routePrefix: '/docs', staticCSP: true });
  app.get('/openapi.json', { schema: { hide: true } }, async () => app.swagger());
}

type ValidationIssue = {
  keyword: string;
  instancePath: string;
  params: Record<string, unknown>;
  message?: string;
};

function fromValidation(error: FastifyError): KinkoError {
  const issue = error.validation?.[0] as ValidationIssue | undefined;
  const where =
    error.validationContext === 'querystring' ? 'query' : (error.validationContext ?? 'body');
  const path = (issue?.instancePath ?? '').replace(/^\//, '').replace(/\//g, '.');
  const join = (name: unknown) => [path, String(name)].filter(Boolean).join('.');
  if (issue?.keyword === 'additionalProperties') {
    const param = join(issue.params['additionalProperty']);
    return httpError('parameter_unknown', {
      param,
      message: `Unknown ${where} field: ${param}.`,
    });
  }
  if (issue?.keyword === 'required') {
    const param = join(issue.params['missingProperty']);
    return httpError('parameter_missing', {
      param,
      message: `Missing ${where} field: ${param}.`,
    });
  }
  const param = path || where;
  if (issue?.keyword === NO_CARD_NUMBER) {
    return httpError('card_data_not_allowed', {
      param,
      message:
        `The ${where} field ${param} holds what looks like a card number. ` +
        'Card numbers are accepted only by the hosted card fields; remove it.',
    });
  }
  // Ajv says "must be equal to one of the allowed values" without them: name them.
  const allowed = issue?.keyword === 'enum' ? issue.params['allowedValues'] : undefined;
  const why = Array.isArray(allowed)
    ? `must be one of ${allowed.map(String).join(', ')}`
    : (issue?.message ?? 'invalid');
  return httpError('parameter_invalid', {
    param,
    message: `Invalid ${where} field ${param}: ${why}.`,
  });
}

function toKinkoError(error: FastifyError | Error): KinkoError | undefined {
  if (error instanceof KinkoError) return error;
  const e = error as FastifyError;
  if (e.validation) return fromValidation(e);
  switch (e.code) {
    case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
    case 'FST_ERR_CTP_INVALID_CONTENT_LENGTH':
      return httpError('unsupported_media_type');
    case 'FST_ERR_CTP_BODY_TOO_LARGE':
      return httpError('body_too_large');
    case 'FST_ERR_CTP_EMPTY_JSON_BODY':
      return httpError('body_missing');
    case 'FST_ERR_CTP_INVALID_JSON_BODY':
    case 'FST_ERR_BAD_REQUEST':
      return httpError('body_invalid_json');
  }
  if (e.statusCode === 429) return httpError('rate_limited');
  if (e instanceof SyntaxError && e.statusCode === 400) return httpError('body_invalid_json');
  return undefined;
}

function handleError(error: FastifyError, req: FastifyRequest, reply: FastifyReply): void {
  const known = toKinkoError(error);
  if (known) return sendError(req, reply, known);
  // The database out of reach is an outage, not a bug: a 503 the client may retry, logged
  // once per request at warn without the driver's detail.
  if (isDatabaseUnavailable(error)) {
    req.log.warn({ code: (error as { code?: unknown }).code }, 'database unavailable');
    const extra = { retry_after_seconds: DB_RETRY_AFTER_SECONDS };
    return sendError(req, reply, dbError('database_unavailable', { extra }));
  }
  // An unexpected error: log it (scrubbed) and answer without detail.
  const level = error instanceof InvariantError ? 'fatal' : 'error';
  req.log[level]({ err: error }, 'unhandled error');
  sendError(req, reply, httpError('internal_error'));
}

function sendError(req: FastifyRequest, reply: FastifyReply, error: KinkoError): void {
  const retry = error.extra?.['retry_after_seconds'];
  if (typeof retry === 'number') reply.header('retry-after', String(retry));
  void reply.status(statusOf(error.code)).type('application/json').send(errorBody(error, req.id));
}

import type { FastifyReply, FastifyRequest } from 'fastify';
import type { preHandlerAsyncHookHandler } from 'fastify';
import {
  amount,
  closed,
  freeText,
  id,
  idParams,
  IDEMPOTENCY_KEY_HEADER,
  listQuery,
  listQueryOf,
  oneOf,
  REPLAYED_HEADER,
  requestFingerprint,
  sourceOf,
  Type,
  type App,
  type Idempotency,
  idempotencyError,
  type ListRawQuery,
} from '../http/index.ts';
import type { MerchantPrincipal, Merchants, Scope } from '../merchants/index.ts';
import type { Payments } from './payments.ts';
import type { WalletListQuery, WalletReader } from './lists.ts';
import type { Answer } from './redeem.ts';
import { paymentsError } from './errors.ts';
import { merchantsError } from '../merchants/index.ts';
import { sha256Hex } from '../lib/sha256.ts';

// The register's API. POST /v1/code_payments authenticates either a terminal —
// `Authorization: Terminal <term_…>:<tk_…>` — or a merchant secret key with `terminal_id` in
// the body. Its Idempotency-Key is handled inside the redemption batch (redeem.ts), so the
// answer to replay commits with the payment. Refunds and the store QR use secret keys.

interface RegisterRoutesDeps {
  payments: Payments;
  merchants: Pick<
    Merchants,
    'authenticateTerminal' | 'listTerminals' | 'approveAtRegister' | 'getStore'
  >;
  idempotency: Idempotency;
  requireMerchantKey(scope: Scope): preHandlerAsyncHookHandler;
  merchantKeyOf(req: FastifyRequest): MerchantPrincipal;
  merchantScopeOf(req: FastifyRequest): string;
  /** payments limits: terminalAuthCacheMs. */
  terminalAuthCacheMs: number;
}

const KEY_RE = /^[\x21-\x7e]{1,255}$/;
const TEST_TERMINAL_MESSAGE =
  'This is a test terminal: wallet payments move real money and need a live terminal.';
const TERMINAL_RE = /^Terminal (term_[A-Za-z0-9_-]{16,64}):(tk_[A-Za-z0-9_-]{43})$/;

interface Register {
  terminalId: string;
  storeId: string;
  merchantId: string;
  /** The terminal's mode, fixed at its creation. */
  mode: 'live' | 'test';
  actor: { type: 'terminal' | 'api_key'; id: string };
  scope: string;
}

const shortId = Type.String({ minLength: 1, maxLength: 80 });

export function registerRoutes(app: App, deps: RegisterRoutesDeps): void {
  const authenticate = registerAuth(deps);
  const amountMinorMax = deps.payments.limits.amountMinorMax;
  app.post(
    '/v1/code_payments',
    {
      schema: {
        summary: 'Charge a scanned payment code (CPM) at a register',
        description:
          'A misread code is answered 400 code_malformed, code_wrong_prefix or ' +
          'code_bad_check_digit and is not counted as a guess; a well-formed code that ' +
          'matches no live code is 402 code_invalid and counts toward the guessing limit. ' +
          'Wallet payments move real money: a test-mode secret key or a test terminal ' +
          '(GET /v1/terminal shows `mode`) gets 400 livemode_required and nothing is counted. ' +
          '`terminal_id` is for a secret key; with terminal credentials it may be left out, ' +
          'and one naming another terminal gets 400 terminal_id_mismatch.',
        body: closed({
          code: Type.String({ minLength: 1, maxLength: 64 }),
          amount: amount(amountMinorMax),
          currency: Type.Optional(oneOf(['JPY'])),
          store_id: shortId,
          terminal_id: Type.Optional(shortId),
        }),
      },
    },
    async (req, reply) => {
      const key = req.headers[IDEMPOTENCY_KEY_HEADER];
      if (key === undefined || key === '') throw idempotencyError('idempotency_key_missing');
      if (typeof key !== 'string' || !KEY_RE.test(key)) {
        throw idempotencyError('idempotency_key_invalid', { param: 'Idempotency-Key' });
      }
      const register = await authenticate(req, reply, req.body.terminal_id);
      // Terminal credentials name the terminal: a body naming another one (this merchant's
      // or another's) is a mistaken or forged request, refused rather than ignored.
      const named = req.body.terminal_id;
      const byTerminal = register.actor.type === 'terminal';
      if (byTerminal && named !== undefined && named !== register.terminalId) {
        throw paymentsError('terminal_id_mismatch', { param: 'terminal_id' });
      }
      // Refused before the code is read or a guess counted: a test register takes no money.
      if (register.mode !== 'live') {
        throw paymentsError('livemode_required', { message: TEST_TERMINAL_MESSAGE });
      }
      if (register.storeId !== req.body.store_id) {
        throw paymentsError('terminal_store_mismatch', { param: 'store_id' });
      }
      const answer = await deps.payments.redeem({
        scope: register.scope,
        idempotencyKey: key,
        fingerprint: requestFingerprint('POST', '/v1/code_payments', req.body),
        terminal: register,
        codeText: req.body.code,
        amount: BigInt(req.body.amount),
        currency: req.body.currency ?? 'JPY',
        actor: register.actor,
        source: sourceOf(req),
      });
      return send(reply, answer);
    },
  );
  terminalRoute(app, deps, authenticate);
  registerRefundRoute(app, deps, authenticate, amountMinorMax);
  merchantPaymentRoutes(app, deps, amountMinorMax);
}

/**
 * A refund at the register, approved there by a manager's own second factor: their email
 * and a code from their authenticator app. The register's credential alone cannot refund,
 * and no API key is ever typed into it. The refund is the manager's (audit actor), limited
 * to payments taken at this register's store.
 */
function registerRefundRoute(
  app: App,
  deps: RegisterRoutesDeps,
  authenticate: ReturnType<typeof registerAuth>,
  amountMinorMax: bigint,
): void {
  // The register authenticates first; the answer is kept under its Idempotency-Key, so a
  // retry after a lost response replays the refund rather than asking for a new code.
  const registers = new WeakMap<FastifyRequest, Register>();
  const terminal: preHandlerAsyncHookHandler = async (req, reply) => {
    if (!(req.headers.authorization ?? '').startsWith('Terminal ')) {
      throw paymentsError('terminal_credentials_missing');
    }
    registers.set(req, await authenticate(req, reply, undefined));
  };
  const scopeOf = (req: FastifyRequest) => registers.get(req)?.scope ?? 'terminal:unknown';
  app.post(
    '/v1/terminal/code_payments/:id/refunds',
    {
      ...deps.idempotency.route(terminal, scopeOf),
      schema: {
        summary: "Refund at the register, approved by a manager's email and authenticator code",
        description:
          'Send `Authorization: Terminal <id>:<secret>` and an Idempotency-Key. A wrong ' +
          'manager email or code answers 401 manager_approval_invalid and counts as a failed ' +
          'sign-in of that manager (ten lock the account); a manager of another store gets ' +
          '403 person_store_denied; a role that may not refund 403 person_access_denied.',
        params: idParams(),
        body: closed({
          amount: amount(amountMinorMax),
          reason: Type.Optional(freeText(200)),
          manager_email: freeText(254, 3),
          manager_totp_code: Type.String({ pattern: '^[0-9]{6,8}$' }),
        }),
      },
    },
    async (req) => {
      const t = registers.get(req)!;
      const b = req.body;
      const manager = await deps.merchants.approveAtRegister(
        {
          ...{ merchantId: t.merchantId, storeId: t.storeId, terminalId: t.terminalId },
          ...{ email: b.manager_email, totpCode: b.manager_totp_code },
        },
        sourceOf(req),
      );
      const input = { paymentId: req.params.id, amount: BigInt(b.amount), reason: b.reason };
      return deps.payments.refund(
        { merchantId: t.merchantId, livemode: t.mode === 'live' },
        { ...input, onlyStores: [t.storeId] },
        { type: 'merchant_person', id: manager.personId },
        sourceOf(req),
      );
    },
  );
}

/**
 * The register checks its credentials here when it signs in, so a mistyped secret is
 * refused at the sign-in screen rather than at the first customer's payment.
 */
function terminalRoute(
  app: App,
  deps: RegisterRoutesDeps,
  authenticate: ReturnType<typeof registerAuth>,
): void {
  app.get(
    '/v1/terminal',
    {
      schema: {
        summary: 'The signed-in terminal and its store (Authorization: Terminal id:secret)',
        description:
          'A register checks its credentials here at sign-in. Send `Authorization: Terminal ' +
          '<terminal id>:<terminal secret>`; a wrong secret answers 401 ' +
          '`terminal_credentials_invalid`, no terminal header 401 `terminal_credentials_missing`.',
        response: {
          200: {
            type: 'object',
            properties: {
              object: { type: 'string', enum: ['terminal'] },
              id: { type: 'string' },
              merchant_id: { type: 'string' },
              store_id: { type: 'string' },
              store_name: { type: 'string' },
              mode: {
                type: 'string',
                enum: ['live', 'test'],
                description: 'A test terminal signs in but takes no wallet payments.',
              },
            },
            required: ['object', 'id', 'merchant_id', 'store_id', 'store_name', 'mode'],
          },
        },
      },
    },
    async (req, reply) => {
      if (!(req.headers.authorization ?? '').startsWith('Terminal ')) {
        throw paymentsError('terminal_credentials_missing');
      }
      const t = await authenticate(req, reply, undefined);
      const shop = await deps.merchants.getStore(t.merchantId, t.storeId);
      return {
        object: 'terminal' as const,
        id: t.terminalId,
        merchant_id: t.merchantId,
        store_id: t.storeId,
        store_name: shop.name,
        mode: t.mode,
      };
    },
  );
}

function send(reply: FastifyReply, a: Answer): FastifyReply {
  if (a.replayed) void reply.header(REPLAYED_HEADER, 'true');
  if (a.retryAfterSeconds !== undefined)
    void reply.header('retry-after', String(a.retryAfterSeconds));
  return reply.status(a.statusCode).type('application/json').send(a.body);
}

/**
 * A terminal's credentials, checked by the merchants module and then remembered for
 * terminalAuthCacheMs (keyed by a hash of the whole header): a register sends a payment every
 * few seconds, and a revoked or suspended terminal is refused within that delay.
 */
function registerAuth(deps: RegisterRoutesDeps) {
  // The check in flight is shared: when an entry expires, the requests that arrive before
  // the check ends wait for it instead of each checking again. A refusal is not remembered.
  const cache = new Map<string, { register: Promise<Register>; untilMs: number }>();
  const merchantKey = deps.requireMerchantKey('payments:write');
  const checkTerminal = async (header: string): Promise<Register> => {
    const m = TERMINAL_RE.exec(header);
    if (!m) throw merchantsError('terminal_credentials_invalid');
    const t = await deps.merchants.authenticateTerminal(m[1]!, m[2]!);
    return {
      ...t,
      actor: { type: 'terminal', id: t.terminalId },
      scope: `terminal:${t.terminalId}`,
    };
  };
  return async (req: FastifyRequest, reply: FastifyReply, terminalId: string | undefined) => {
    const header = req.headers.authorization ?? '';
    if (header.startsWith('Terminal ')) {
      const hash = sha256Hex(header);
      const hit = cache.get(hash);
      if (hit && hit.untilMs > Date.now()) return hit.register;
      if (cache.size > 10_000) cache.clear();
      const register = checkTerminal(header);
      const entry = { register, untilMs: Date.now() + deps.terminalAuthCacheMs };
      cache.set(hash, entry);
      register.catch(() => cache.get(hash) === entry && cache.delete(hash));
      return register;
    }
    if (!header.startsWith('Bearer ')) throw paymentsError('terminal_credentials_missing');
    await merchantKey.call(req.server, req, reply);
    const principal = deps.merchantKeyOf(req);
    // Terminals are live devices; a test key must not move a real wallet's money.
    if (principal.mode !== 'live') throw paymentsError('livemode_required');
    const terminals = await deps.merchants.listTerminals(principal.merchantId);
    const t = terminals.find((x) => x.id === terminalId);
    if (!t) throw merchantsError('terminal_not_found', { param: 'terminal_id' });
    return {
      terminalId: t.id,
      storeId: t.store_id,
      merchantId: principal.merchantId,
      mode: t.mode,
      actor: { type: 'api_key' as const, id: principal.actor.id },
      scope: deps.merchantScopeOf(req),
    };
  };
}

const STORE_QR_LIVE_ONLY =
  'Store QR payments move real wallet money: use a live secret key (sk_live_…).';

function merchantPaymentRoutes(app: App, deps: RegisterRoutesDeps, amountMinorMax: bigint): void {
  const { payments } = deps;
  const reader = (req: FastifyRequest) => {
    const p = deps.merchantKeyOf(req);
    return { merchantId: p.merchantId, livemode: p.mode === 'live' };
  };
  app.get(
    '/v1/code_payments/:id',
    {
      preHandler: deps.requireMerchantKey('payments:read'),
      schema: { summary: 'Retrieve a wallet payment (code or store QR)', params: idParams() },
    },
    (req) => payments.getPayment(reader(req), req.params.id),
  );
  app.post(
    '/v1/code_payments/:id/refunds',
    {
      ...deps.idempotency.route(deps.requireMerchantKey('refunds:write'), deps.merchantScopeOf),
      schema: {
        summary: 'Refund a wallet payment, partly or wholly, several times up to its amount',
        description:
          'More than is left answers 400 refund_exceeds_payment with `refundable`; a ' +
          'test-mode key answers 400 livemode_required.',
        params: idParams(),
        body: closed({ amount: amount(amountMinorMax), reason: Type.Optional(freeText(200)) }),
      },
    },
    (req) => {
      const p = deps.merchantKeyOf(req);
      return payments.refund(
        reader(req),
        {
          paymentId: req.params.id,
          amount: BigInt(req.body.amount),
          reason: req.body.reason,
          onlyStores: p.storeIds,
        },
        p.actor,
        sourceOf(req),
      );
    },
  );
  app.get(
    '/v1/stores/:id/qr',
    {
      preHandler: deps.requireMerchantKey('merchants:read'),
      schema: {
        summary: "The store's EMVCo MPM payload and QR image",
        description:
          'Customers pay this payload with real wallet money into the live balance, so it is ' +
          'issued only to a live secret key: a test-mode key gets 400 livemode_required and ' +
          'nothing is issued.',
        params: idParams(),
      },
    },
    (req) => {
      const p = deps.merchantKeyOf(req);
      // The payload names only the store, and paying it credits the live balance, so a
      // test key must not be able to hand out something customers pay with real money.
      if (p.mode !== 'live') {
        throw paymentsError('livemode_required', { message: STORE_QR_LIVE_ONLY });
      }
      return payments.storeQr(p.merchantId, req.params.id);
    },
  );
  walletLists(app, deps, reader);
}

type WalletRawQuery = ListRawQuery & { method?: string; store_id?: string };

function walletListQueryOf(q: WalletRawQuery): WalletListQuery {
  const base = listQueryOf(q);
  return { ...base, method: q.method, storeId: q.store_id };
}

/** GET /v1/code_payments and /v1/code_refunds: paged exactly as /v1/payments is. */
function walletLists(
  app: App,
  deps: RegisterRoutesDeps,
  reader: (req: FastifyRequest) => WalletReader,
): void {
  const preHandler = deps.requireMerchantKey('payments:read');
  app.get(
    '/v1/code_payments',
    {
      preHandler,
      schema: {
        summary: 'List wallet payments (code and store QR), newest first',
        description:
          'Paged as GET /v1/payments (limit, starting_after, ending_before, created[…], ' +
          'has_more). Each payment is also a balance transaction (type code_payment or ' +
          'store_payment). A test-mode key sees none: wallet payments are live only.',
        querystring: listQuery(
          { method: Type.Optional(oneOf(['cpm', 'mpm'])), store_id: Type.Optional(shortId) },
          'pay',
        ),
      },
    },
    (req) => deps.payments.listPayments(reader(req), walletListQueryOf(req.query)),
  );
  app.get(
    '/v1/code_refunds',
    {
      preHandler,
      schema: {
        summary: 'List refunds of wallet payments, newest first',
        description:
          'Paged as GET /v1/refunds; each refund is a balance transaction of type ' +
          'wallet_refund (negative amount). A test-mode key sees none.',
        querystring: listQuery({ payment: Type.Optional(id('pay')) }, 'pre'),
      },
    },
    (req) => deps.payments.listRefunds(reader(req), walletListQueryOf(req.query)),
  );
}

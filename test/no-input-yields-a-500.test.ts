import { test } from 'node:test';
import assert from 'node:assert/strict';
import { auth } from './helpers/identity-harness.ts';
import { fundWallet, idem, payPlatform, walletUser } from './helpers/payments-platform.ts';
import { shop, webPaymentsHarness } from './helpers/web-payments.ts';

// Bad input gets a clear error and changes nothing; it never gets a 500. Every operation of
// the published OpenAPI document is called with bodies built from its own schema: bounds,
// lengths, enums, and strings that have broken real code — a NUL and a lone surrogate (which
// PostgreSQL cannot store), a card number (refused by the guards), a phone number that
// passes Luhn, very long, non-ASCII and path-like text — with path parameters and query
// strings of every shape, as a merchant (secret key), a customer (session) and a register
// (terminal credential), and the web payment API as a shop. Each answer must be below 500.
// Found this way: a NUL in an API key name answered 500, and so did a lone surrogate in a
// payment's metadata (jsonb, found by a probe with otherwise valid bodies).

type Schema = {
  type?: string | string[];
  enum?: unknown[];
  minimum?: number;
  maximum?: number;
  maxLength?: number;
  pattern?: string;
  items?: Schema;
  properties?: Record<string, Schema>;
  additionalProperties?: Schema | boolean;
};

const STRINGS = [
  '',
  'a',
  'é漢字🙂',
  '   ',
  '4111111111111111',
  '+8613890883780',
  'x'.repeat(5000),
  '\u0000',
  'a\u0000b',
  '\ud800',
  'a\udc00',
  '../../etc/passwd',
  '{"a":1}',
  '0',
  '-1',
  '1e309',
  '__proto__',
];
const NUMBERS = [0, -1, 1, 2 ** 31, 2 ** 53, Number.MAX_SAFE_INTEGER, 1.5, -0];
const PATH_VALUES = [
  'pay_abcdefgh12345678',
  'x',
  '00000000-0000-0000-0000-000000000000',
  '%E6%BC%A2',
];
const ROUNDS = 42;

function sample(s: Schema | undefined, i: number): unknown {
  if (!s) return STRINGS[i % STRINGS.length];
  if (s.enum) return s.enum[i % s.enum.length];
  const type = Array.isArray(s.type) ? s.type[0] : s.type;
  if (type === 'integer' || type === 'number') {
    const values = [s.minimum, s.maximum, ...NUMBERS].filter((x) => x !== undefined);
    return values[i % values.length];
  }
  if (type === 'boolean') return i % 2 === 0;
  if (type === 'array') return [sample(s.items, i)];
  if (type === 'object') {
    const o: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(s.properties ?? {})) o[k] = sample(v, i + k.length);
    if (typeof s.additionalProperties === 'object') o['note'] = sample(s.additionalProperties, i);
    return o;
  }
  if (s.maxLength && i % 3 === 0) return 'x'.repeat(s.maxLength);
  if (s.pattern && i % 2 === 0) return 'abc';
  return STRINGS[i % STRINGS.length];
}

interface Operation {
  requestBody?: { content?: Record<string, { schema?: Schema }> };
}

type Inject = (o: {
  method: 'GET';
  url: string;
  headers: Record<string, string>;
  payload?: object;
}) => Promise<{ statusCode: number; json(): unknown }>;

/** Calls every operation of the app's OpenAPI document; returns the calls that got a 5xx. */
async function sweep(inject: Inject, callers: Record<string, string>[]) {
  const spec = (await inject({ method: 'GET', url: '/openapi.json', headers: {} })).json() as {
    paths: Record<string, Record<string, Operation>>;
  };
  const failures: string[] = [];
  let calls = 0;
  for (const [route, operations] of Object.entries(spec.paths)) {
    for (const [method, op] of Object.entries(operations)) {
      const schema = op.requestBody?.content?.['application/json']?.schema;
      for (let i = 0; i < ROUNDS; i++) {
        const query =
          method === 'get'
            ? `?limit=${[1, 0, 101, 'x'][i % 4]}&starting_after=` +
              ['pay_abcdefgh12345678', '%E2%9C%93', 'x'.repeat(300)][i % 3]
            : '';
        const url = route.replace(/\{[^}]+\}/g, () => PATH_VALUES[i % PATH_VALUES.length]!) + query;
        const payload = schema ? (sample(schema, i) as object) : undefined;
        for (const headers of callers) {
          const res = await inject({
            method: method.toUpperCase() as 'GET',
            url,
            headers: { ...headers, ...idem() },
            ...(payload === undefined ? {} : { payload }),
          });
          calls++;
          if (res.statusCode >= 500) {
            const sent = JSON.stringify(payload ?? null).slice(0, 200);
            failures.push(`${method.toUpperCase()} ${url} with ${sent}: ${res.statusCode}`);
          }
        }
      }
    }
  }
  return { calls, failures: [...new Set(failures)] };
}

test('wallet, register, merchant and identity operations never answer 500', async (t) => {
  const p = await payPlatform();
  t.after(() => p.close());
  const u = await walletUser(p, 1);
  await fundWallet(p, u, 10_000);
  const { calls, failures } = await sweep(
    (o) => p.app.inject(o),
    [
      { authorization: `Bearer ${p.merchant.secretKey}` },
      auth(u.token),
      { authorization: p.merchant.terminalAuth },
    ],
  );
  assert.ok(calls > 5000, `only ${calls} calls: the OpenAPI document lost its operations?`);
  assert.deepEqual(failures, []);
});

test('web payment operations never answer 500', async (t) => {
  const h = await webPaymentsHarness();
  t.after(() => h.close());
  const s = await shop(h);
  const { calls, failures } = await sweep(
    (o) => h.api.app.inject(o),
    [{ authorization: `Bearer ${s.secretKey}` }],
  );
  assert.ok(calls > 500, `only ${calls} calls: the OpenAPI document lost its operations?`);
  assert.deepEqual(failures, []);
});

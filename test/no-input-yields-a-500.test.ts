import { test } from 'node:test';
import assert from 'node:assert/strict';
import { auth } from './helpers/identity-harness.ts';
import { fundWallet, idem, payPlatform, walletUser } from './helpers/payments-platform.ts';

// Bad input gets a clear error and changes nothing; it never gets a 500. Every operation of
// the published OpenAPI document is called with bodies built from its own schema — bounds,
// lengths, enums, and strings that have broken real code: a NUL (PostgreSQL text cannot hold
// one), a card number (refused by the guards), a phone number that passes Luhn, very long,
// non-ASCII and path-like text — with path parameters and query strings of every shape, as
// a merchant (secret key), a customer (session) and a register (terminal credential). Each
// answer must be below 500. Found this way: a NUL in an API key name answered 500.

type Schema = {
  type?: string | string[];
  enum?: unknown[];
  minimum?: number;
  maximum?: number;
  maxLength?: number;
  pattern?: string;
  items?: Schema;
  properties?: Record<string, Schema>;
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
    return o;
  }
  if (s.maxLength && i % 3 === 0) return 'x'.repeat(s.maxLength);
  if (s.pattern && i % 2 === 0) return 'abc';
  return STRINGS[i % STRINGS.length];
}

interface Operation {
  requestBody?: { content?: Record<string, { schema?: Schema }> };
}

test('no operation answers 500 to any of the generated inputs', async (t) => {
  const p = await payPlatform();
  t.after(() => p.close());
  const u = await walletUser(p, 1);
  await fundWallet(p, u, 10_000);
  const spec = (await p.app.inject({ method: 'GET', url: '/openapi.json' })).json() as {
    paths: Record<string, Record<string, Operation>>;
  };
  const callers = [
    { authorization: `Bearer ${p.merchant.secretKey}` },
    auth(u.token),
    { authorization: p.merchant.terminalAuth },
  ];
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
          const res = await p.app.inject({
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
  assert.ok(calls > 5000, `only ${calls} calls: the OpenAPI document lost its operations?`);
  assert.deepEqual([...new Set(failures)], []);
});

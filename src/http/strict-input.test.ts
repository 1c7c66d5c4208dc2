import { test } from 'node:test';
import assert from 'node:assert/strict';
import { gzipSync } from 'node:zlib';
import { loadConfig } from '../config.ts';
import { capturedLogger } from '../../test/helpers/log.ts';
import { createServer, duplicateKeyPath, type App } from './server.ts';

// The attack surface GMO-PG 2017 was breached through: what reaches a parser. Anything but
// JSON is refused unparsed, unknown fields are refused, oversized bodies are refused.

const limits = { ...loadConfig({}).limits, httpBodyBytesMax: 2048 };

async function app(): Promise<{ app: App; logs: ReturnType<typeof capturedLogger> }> {
  const logs = capturedLogger('info');
  let calls = 0;
  const server = await createServer({
    log: logs.log,
    limits,
    version: 'test',
    routes: (scope) => {
      scope.post(
        '/v1/echo',
        {
          schema: {
            body: {
              type: 'object',
              additionalProperties: false,
              required: ['amount'],
              properties: {
                amount: { type: 'integer', minimum: 1 },
                note: { type: 'string', maxLength: 100 },
                kind: { type: 'string', enum: ['manual', 'automatic'] },
                meta: {
                  type: 'object',
                  additionalProperties: false,
                  properties: { tag: { type: 'string' } },
                },
              },
            },
          },
        },
        async (req) => ({ calls: ++calls, body: req.body }),
      );
    },
  });
  return { app: server, logs };
}

test('a NUL or a lone surrogate (PostgreSQL stores neither) is refused by name', async () => {
  const { app: a } = await app();
  const post = (body: string, url = '/v1/echo') =>
    a.inject({ method: 'POST', url, headers: { 'content-type': 'application/json' }, body });
  for (const [body, param] of [
    ['{"amount":5,"note":"a\\u0000b"}', 'note'],
    ['{"amount":5,"meta":{"tag":"\\u0000"}}', 'meta.tag'],
    ['{"amount":5,"meta":{"t\\u0000g":"x"}}', 'meta.t\u0000g'],
    ['{"amount":5,"note":"\\ud800"}', 'note'],
    ['{"amount":5,"meta":{"tag":"a\\udc00b"}}', 'meta.tag'],
  ] as const) {
    const res = await post(body);
    assert.equal(res.statusCode, 400, res.body);
    assert.equal(res.json().error.code, 'parameter_invalid');
    assert.equal(res.json().error.param, param);
  }
  const inUrl = await post('{"amount":5}', '/v1/echo?x=%00');
  assert.equal(inUrl.statusCode, 400, inUrl.body);
  assert.equal(inUrl.json().error.param, 'url');
  // Other escapes still parse.
  const ok = await post('{"amount":5,"note":"tab\\there \\u00e9 \\ud83d\\ude42"}');
  assert.equal(ok.statusCode, 200, ok.body);
  assert.equal(ok.json().body.note, 'tab\there é 🙂');
});

test('a valid JSON body reaches the handler', async () => {
  const { app: a } = await app();
  const res = await a.inject({ method: 'POST', url: '/v1/echo', payload: { amount: 5 } });
  assert.equal(res.statusCode, 200);
  assert.deepEqual(res.json(), { calls: 1, body: { amount: 5 } });
});

test('content types other than application/json get 415 and are never parsed', async () => {
  const { app: a } = await app();
  const attempts = [
    { type: 'text/plain', body: '{"amount":5}' },
    { type: 'application/xml', body: '<amount>5</amount>' },
    { type: 'application/x-www-form-urlencoded', body: 'amount=5' },
    { type: 'multipart/form-data; boundary=x', body: '--x\r\n\r\n5\r\n--x--' },
    // The Struts 2 (S2-045) payload travelled in the Content-Type header itself.
    { type: "%{(#_='multipart/form-data').(#cmd='id')}", body: '{}' },
  ];
  for (const { type, body } of attempts) {
    const res = await a.inject({
      method: 'POST',
      url: '/v1/echo',
      headers: { 'content-type': type },
      payload: body,
    });
    assert.equal(res.statusCode, 415, type);
    assert.equal(res.json().error.code, 'unsupported_media_type');
  }
  const ok = await a.inject({ method: 'POST', url: '/v1/echo', payload: { amount: 1 } });
  assert.equal(ok.json().calls, 1, 'no refused request reached the handler');
});

test('a compressed body or a charset other than UTF-8 gets 415 naming the header', async () => {
  const { app: a } = await app();
  for (const encoding of ['gzip', 'deflate', 'br', 'x-anything']) {
    const res = await a.inject({
      method: 'POST',
      url: '/v1/echo',
      headers: { 'content-type': 'application/json', 'content-encoding': encoding },
      payload: encoding === 'gzip' ? gzipSync('{"amount":5}') : '{"amount":5}',
    });
    assert.equal(res.statusCode, 415, encoding);
    assert.equal(res.json().error.code, 'content_encoding_unsupported', encoding);
    assert.equal(res.json().error.param, 'Content-Encoding');
    assert.match(res.json().error.message, new RegExp(`Content-Encoding ${encoding} `));
  }
  for (const charset of ['latin1', 'ISO-8859-1', '"utf-16"', 'utf8']) {
    const res = await a.inject({
      method: 'POST',
      url: '/v1/echo',
      headers: { 'content-type': `application/json; charset=${charset}` },
      payload: '{"amount":5}',
    });
    assert.equal(res.statusCode, 415, charset);
    assert.equal(res.json().error.code, 'charset_unsupported', charset);
    assert.equal(res.json().error.param, 'Content-Type');
    assert.match(res.json().error.message, new RegExp(`charset ${charset.replace(/"/g, '')} `));
  }
  for (const headers of [
    { 'content-type': 'application/json; charset=utf-8' },
    { 'content-type': 'application/json; charset="UTF-8"' },
    { 'content-type': 'application/json', 'content-encoding': 'identity' },
  ]) {
    const ok = await a.inject({
      method: 'POST',
      url: '/v1/echo',
      headers,
      payload: '{"amount":5}',
    });
    assert.equal(ok.statusCode, 200, JSON.stringify(headers));
  }
  const last = await a.inject({ method: 'POST', url: '/v1/echo', payload: { amount: 1 } });
  assert.equal(last.json().calls, 4, 'no refused request reached the handler');
});

test('unknown fields are refused, at the top level and nested, naming the field', async () => {
  const { app: a } = await app();
  let res = await a.inject({
    method: 'POST',
    url: '/v1/echo',
    payload: { amount: 5, admin: true },
  });
  assert.equal(res.statusCode, 400);
  assert.equal(res.json().error.code, 'parameter_unknown');
  assert.equal(res.json().error.param, 'admin');
  res = await a.inject({
    method: 'POST',
    url: '/v1/echo',
    payload: { amount: 5, meta: { tag: 'a', x: 1 } },
  });
  assert.equal(res.json().error.param, 'meta.x');
  res = await a.inject({ method: 'POST', url: '/v1/echo?debug=1', payload: { amount: 5 } });
  assert.equal(res.statusCode, 400);
  assert.equal(res.json().error.code, 'parameter_unknown');
  assert.equal(res.json().error.param, 'debug');
});

test('missing and mistyped fields name the field; strings are not coerced to numbers', async () => {
  const { app: a } = await app();
  let res = await a.inject({ method: 'POST', url: '/v1/echo', payload: { note: 'x' } });
  assert.equal(res.json().error.code, 'parameter_missing');
  assert.equal(res.json().error.param, 'amount');
  res = await a.inject({ method: 'POST', url: '/v1/echo', payload: { amount: '5' } });
  assert.equal(res.json().error.code, 'parameter_invalid');
  assert.equal(res.json().error.param, 'amount');
  res = await a.inject({ method: 'POST', url: '/v1/echo', payload: { amount: 1.5 } });
  assert.equal(res.json().error.code, 'parameter_invalid');
  // A value outside a list names the list, not "one of the allowed values".
  res = await a.inject({ method: 'POST', url: '/v1/echo', payload: { amount: 1, kind: 'auto' } });
  assert.equal(res.json().error.code, 'parameter_invalid');
  assert.equal(res.json().error.param, 'kind');
  assert.equal(
    res.json().error.message,
    'Invalid body field kind: must be one of manual, automatic.',
  );
});

test('oversized, empty, malformed and prototype-polluting bodies are refused', async () => {
  const { app: a } = await app();
  const big = JSON.stringify({ amount: 1, note: 'x'.repeat(4000) });
  let res = await a.inject({
    method: 'POST',
    url: '/v1/echo',
    headers: { 'content-type': 'application/json' },
    payload: big,
  });
  assert.equal(res.statusCode, 413);
  assert.equal(res.json().error.code, 'body_too_large');
  res = await a.inject({
    method: 'POST',
    url: '/v1/echo',
    headers: { 'content-type': 'application/json' },
    payload: '{"amount":',
  });
  assert.equal(res.statusCode, 400);
  assert.equal(res.json().error.code, 'body_invalid_json');
  res = await a.inject({
    method: 'POST',
    url: '/v1/echo',
    headers: { 'content-type': 'application/json' },
    payload: '',
  });
  assert.equal(res.statusCode, 400);
  res = await a.inject({
    method: 'POST',
    url: '/v1/echo',
    headers: { 'content-type': 'application/json' },
    payload: '{"amount":1,"__proto__":{"admin":true}}',
  });
  assert.equal(res.statusCode, 400);
  assert.equal(res.json().error.code, 'parameter_forbidden_key');
  assert.equal(res.json().error.param, '__proto__');
  assert.match(res.json().error.message, /The key __proto__ /);
  assert.equal(({} as Record<string, unknown>)['admin'], undefined);
  // The same keys spelled with JSON escapes, nested, or as "constructor" are refused too.
  for (const [payload, key] of [
    ['{"amount":1,"__pro\\u0074o__":{"admin":true}}', '__proto__'],
    ['{"amount":1,"\\u005f_proto__":{"admin":true}}', '__proto__'],
    ['{"amount":1,"note":{"constructor":{"prototype":{"admin":true}}}}', 'constructor'],
    ['{"amount":1,"constr\\u0075ctor":{"prototype":{"admin":true}}}', 'constructor'],
  ] as const) {
    res = await a.inject({
      method: 'POST',
      url: '/v1/echo',
      headers: { 'content-type': 'application/json' },
      payload,
    });
    assert.equal(res.statusCode, 400, payload);
    assert.equal(res.json().error.code, 'parameter_forbidden_key', payload);
    assert.equal(res.json().error.param, key, payload);
  }
  assert.equal(({} as Record<string, unknown>)['admin'], undefined);
});

test('every response and error carries a request id; security headers are set', async () => {
  const { app: a, logs } = await app();
  const res = await a.inject({
    method: 'POST',
    url: '/v1/echo',
    payload: { amount: 5, x: 1 },
    headers: { 'x-request-id': 'req_client_supplied_1' },
  });
  assert.equal(res.headers['x-request-id'], 'req_client_supplied_1');
  assert.equal(res.json().error.request_id, 'req_client_supplied_1');
  const evil = await a.inject({
    method: 'GET',
    url: '/nowhere',
    headers: { 'x-request-id': 'bad id\nforged log line' },
  });
  assert.match(String(evil.headers['x-request-id']), /^req_[A-Za-z0-9_-]+$/);
  assert.equal(evil.statusCode, 404);
  assert.equal(evil.json().error.code, 'route_not_found');
  assert.match(String(res.headers['content-security-policy']), /default-src 'none'/);
  assert.equal(res.headers['x-content-type-options'], 'nosniff');
  assert.match(String(res.headers['strict-transport-security']), /max-age=\d+/);
  // Errors, unknown routes and successes all carry the whole set.
  for (const r of [res, evil]) {
    assert.match(String(r.headers['content-security-policy']), /frame-ancestors 'none'/);
    assert.equal(r.headers['x-frame-options'], 'SAMEORIGIN');
    assert.equal(r.headers['referrer-policy'], 'no-referrer');
    assert.equal(r.headers['cross-origin-opener-policy'], 'same-origin');
    assert.equal(r.headers['cache-control'], 'no-store');
    assert.equal(r.headers['x-powered-by'], undefined);
  }
  const requestLines = logs.lines
    .map((l) => JSON.parse(l) as Record<string, unknown>)
    .filter((l) => l['req'] || l['res']);
  assert.ok(requestLines.length > 0);
  for (const line of requestLines) assert.equal(typeof line['request_id'], 'string');
});

test('a route without a body schema, or with an open one, cannot be registered', async () => {
  const logs = capturedLogger();
  await assert.rejects(
    createServer({
      log: logs.log,
      limits,
      version: 't',
      routes: (s) => void s.post('/v1/open', async () => ({})),
    }),
    /has no body schema/,
  );
  await assert.rejects(
    createServer({
      log: logs.log,
      limits,
      version: 't',
      routes: (s) =>
        void s.post('/v1/open', { schema: { body: { type: 'object' } } }, async () => ({})),
    }),
    /additionalProperties: false/,
  );
});

test('an unexpected error answers 500 without detail and is logged scrubbed', async () => {
  const logs = capturedLogger();
  const a = await createServer({
    log: logs.log,
    limits,
    version: 't',
    routes: (s) => {
      s.get('/boom', async () => {
        throw new Error('failed for card 4111 1111 1111 1111');
      });
    },
  });
  const res = await a.inject({ method: 'GET', url: '/boom' });
  assert.equal(res.statusCode, 500);
  assert.equal(res.json().error.code, 'internal_error');
  assert.doesNotMatch(res.body, /4111/);
  assert.doesNotMatch(logs.text(), /4111 1111 1111 1111/);
  assert.match(logs.text(), /unhandled error/);
});

test('a key twice in one object is refused with 400 naming it, at any depth', async () => {
  const { app: a } = await app();
  const post = (body: string) =>
    a.inject({
      method: 'POST',
      url: '/v1/echo',
      headers: { 'content-type': 'application/json' },
      body,
    });
  for (const [body, param] of [
    ['{"amount":5,"amount":6}', 'amount'],
    ['{"amount":5,"note":"x","note":"y"}', 'note'],
    ['{"amount":5,"meta":{"tag":"a","tag":"b"}}', 'meta.tag'],
    // The same key spelled two ways is still the same key.
    ['{"amount":5,"meta":{"tag":"a","t\\u0061g":"b"}}', 'meta.tag'],
    ['{"amount":5, "note" : "a\\"b" , "note":"c"}', 'note'],
    ['{"amount":5,"meta":{"list":[{"k":1},{"k":1,"k":2}]}}', 'meta.list[1].k'],
  ] as const) {
    const res = await post(body);
    assert.equal(res.statusCode, 400, body);
    assert.equal(res.json().error.code, 'parameter_duplicate', body);
    assert.equal(res.json().error.param, param, body);
  }
  // Equal keys in different objects, and key-like text inside values, are not duplicates.
  const ok = await post('{"amount":5,"note":"\\"amount\\":1,","meta":{"tag":"amount"}}');
  assert.equal(ok.statusCode, 200, ok.body);
});

test('duplicateKeyPath names the path through nested objects and arrays', () => {
  // A body serialized from a value never has duplicates; renaming one key makes exactly one.
  const base = { amount: 5, a: { b: [1, { c: 'x"y\\\\', d: [] }, 'k'], e: null }, f: 'a:b,c' };
  const text = JSON.stringify(base);
  assert.equal(duplicateKeyPath(text), undefined);
  assert.equal(duplicateKeyPath(text.replace('"d":', '"c":')), 'a.b[1].c');
  assert.equal(duplicateKeyPath(text.replace('"e":', '"b":')), 'a.b');
  assert.equal(duplicateKeyPath('[{"x":1},{"x":1}]'), undefined);
  assert.equal(duplicateKeyPath('[{"x":1},{"y":1,"y":2}]'), '[1].y');
  // Past the quick scan's pairwise budget, the Set-based scan decides.
  const many = Array.from({ length: 500 }, (_, i) => `"k${i}":${i}`);
  assert.equal(duplicateKeyPath(`{${many.join(',')}}`), undefined);
  assert.equal(duplicateKeyPath(`{"o":{${many.join(',')},"k7":0}}`), 'o.k7');
});

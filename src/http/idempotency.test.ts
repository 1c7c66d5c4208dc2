import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import type { FastifyRequest } from 'fastify';
import { loadConfig } from '../config.ts';
import { createTestDb, type TestDb } from '../../test/helpers/db.ts';
import { capturedLogger } from '../../test/helpers/log.ts';
import { manualClock } from '../lib/clock.ts';
import { createIdempotency } from './idempotency.ts';
import { createServer, type App } from './server.ts';
import { httpError } from './errors.ts';

// Each Idempotency-Key semantic, on real PostgreSQL, with real parallel HTTP requests for
// the concurrent case.

const config = loadConfig({ KINKO_ENV: 'test' });
const clock = manualClock(Date.UTC(2026, 4, 1));
let db: TestDb;
let app: App;
let url: string;
let calls = 0;
let gate: Promise<void> = Promise.resolve();
let idem: ReturnType<typeof createIdempotency>;

const principal = (req: FastifyRequest) => String(req.headers['x-principal'] ?? 'anon');

before(async () => {
  db = await createTestDb();
  const logs = capturedLogger('warn');
  idem = createIdempotency({ sql: db.sql, clock, limits: config.limits, log: logs.log });
  const auth = async (req: FastifyRequest) => {
    if (!req.headers['x-principal']) throw httpError('route_not_found');
  };
  app = await createServer({
    log: logs.log,
    limits: config.limits,
    version: 't',
    routes: (s) => {
      const body = {
        type: 'object',
        additionalProperties: false,
        required: ['amount'],
        properties: { amount: { type: 'integer' }, note: { type: 'string' } },
      };
      s.post<{ Body: { amount: number } }>(
        '/v1/charges',
        { ...idem.route(auth, principal), schema: { body } },
        async (req, reply) => {
          calls += 1;
          await gate;
          if (req.body.amount < 0) throw httpError('parameter_invalid', { param: 'amount' });
          return reply.status(201).send({ charge: calls, amount: req.body.amount });
        },
      );
      s.post('/v1/other', { ...idem.route(auth, principal), schema: { body } }, async () => ({
        other: true,
      }));
    },
  });
  url = await app.listen({ host: '127.0.0.1', port: 0 });
});
after(async () => {
  await app.close();
  await db.close();
});

function post(key: string | undefined, payload: object, who = 'm1', path = '/v1/charges') {
  const headers: Record<string, string> = { 'x-principal': who };
  if (key !== undefined) headers['idempotency-key'] = key;
  return app.inject({ method: 'POST', url: path, headers, payload });
}

test('a POST without Idempotency-Key is refused with 400 and never runs', async () => {
  const before = calls;
  const res = await post(undefined, { amount: 1 });
  assert.equal(res.statusCode, 400);
  assert.equal(res.json().error.code, 'idempotency_key_missing');
  const bad = await post('x'.repeat(256), { amount: 1 });
  assert.equal(bad.json().error.code, 'idempotency_key_invalid');
  assert.equal(calls, before);
});

test('the first response is stored and replayed, marked, without running again', async () => {
  const first = await post('k-replay', { amount: 100, note: 'a' });
  assert.equal(first.statusCode, 201);
  assert.equal(first.headers['idempotent-replayed'], undefined);
  const count = calls;
  // Key order in the body does not make it another request.
  const again = await app.inject({
    method: 'POST',
    url: '/v1/charges',
    headers: {
      'x-principal': 'm1',
      'idempotency-key': 'k-replay',
      'content-type': 'application/json',
    },
    payload: '{"note":"a","amount":100}',
  });
  assert.equal(again.statusCode, 201);
  assert.equal(again.headers['idempotent-replayed'], 'true');
  assert.equal(again.body, first.body);
  assert.equal(calls, count, 'the handler did not run again');
});

test('errors are stored and replayed too', async () => {
  const first = await post('k-error', { amount: -1 });
  assert.equal(first.statusCode, 400);
  const count = calls;
  const again = await post('k-error', { amount: -1 });
  assert.equal(again.statusCode, 400);
  assert.equal(again.headers['idempotent-replayed'], 'true');
  assert.deepEqual(again.json(), first.json());
  assert.equal(calls, count);
});

test('the same key with other parameters or another path is refused with 422', async () => {
  await post('k-reuse', { amount: 5 });
  const count = calls;
  let res = await post('k-reuse', { amount: 6 });
  assert.equal(res.statusCode, 422);
  assert.equal(res.json().error.type, 'idempotency_error');
  assert.equal(res.json().error.code, 'idempotency_key_reused');
  res = await post('k-reuse', { amount: 5 }, 'm1', '/v1/other');
  assert.equal(res.statusCode, 422);
  assert.equal(calls, count);
  // The refusal was not stored in place of the first response.
  res = await post('k-reuse', { amount: 5 });
  assert.equal(res.statusCode, 201);
  assert.equal(res.headers['idempotent-replayed'], 'true');
});

test('requests refused by validation are not stored and may be retried', async () => {
  const bad = await app.inject({
    method: 'POST',
    url: '/v1/charges',
    headers: { 'x-principal': 'm1', 'idempotency-key': 'k-valid' },
    payload: { amount: 'ten' },
  });
  assert.equal(bad.statusCode, 400);
  const ok = await post('k-valid', { amount: 10 });
  assert.equal(ok.statusCode, 201);
  assert.equal(ok.headers['idempotent-replayed'], undefined);
});

test('different principals never collide on the same key', async () => {
  const a = await post('shared-key', { amount: 1 }, 'merchant-a');
  const b = await post('shared-key', { amount: 2 }, 'merchant-b');
  assert.equal(a.statusCode, 201);
  assert.equal(b.statusCode, 201);
  assert.equal(b.headers['idempotent-replayed'], undefined);
  assert.equal(b.json().amount, 2);
});

test('concurrent requests with one key: one runs, the others get 409, then replays', async () => {
  let open!: () => void;
  gate = new Promise((resolve) => (open = resolve));
  const count = calls;
  const send = () =>
    fetch(`${url}/v1/charges`, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        'idempotency-key': 'k-race',
        'x-principal': 'm1',
      },
      body: JSON.stringify({ amount: 7 }),
    });
  const first = send();
  // Let the first claim the key before the rivals arrive.
  while (calls === count) await new Promise((r) => setTimeout(r, 5));
  const rivals = await Promise.all([send(), send(), send(), send()]);
  for (const r of rivals) {
    assert.equal(r.status, 409);
    const body = (await r.json()) as { error: { code: string } };
    assert.equal(body.error.code, 'idempotency_request_in_progress');
  }
  open();
  gate = Promise.resolve();
  const done = await first;
  assert.equal(done.status, 201);
  assert.equal(calls, count + 1, 'the handler ran once');
  const replay = await send();
  assert.equal(replay.headers.get('idempotent-replayed'), 'true');
  assert.deepEqual(await replay.json(), await done.json());
});

test('truly simultaneous first requests: exactly one runs', async () => {
  const count = calls;
  const results = await Promise.all(
    Array.from({ length: 8 }, () =>
      fetch(`${url}/v1/charges`, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          'idempotency-key': 'k-burst',
          'x-principal': 'm1',
        },
        body: JSON.stringify({ amount: 8 }),
      }),
    ),
  );
  assert.equal(calls, count + 1);
  const statuses = results.map((r) => r.status).sort();
  assert.ok(
    statuses.every((s) => s === 201 || s === 409),
    statuses.join(),
  );
  assert.equal(statuses.filter((s) => s === 201).length >= 1, true);
});

test('an abandoned claim (process died) is taken over once its lock runs out', async () => {
  const now = clock.now();
  await db.sql`
    insert into idempotency_keys (scope, key, fingerprint, created_at, locked_until)
    values ('m1', 'k-dead', ${Buffer.alloc(32)}, ${now}, ${new Date(now.getTime() + 1000)})`;
  // Another fingerprint: refused as reused; same fingerprint while locked: in progress.
  assert.equal((await post('k-dead', { amount: 3 })).statusCode, 422);
  await db.sql`
    update idempotency_keys set fingerprint = (
      select fingerprint from idempotency_keys where key = 'k-reuse' and scope = 'm1')
    where key = 'k-dead'`;
  assert.equal((await post('k-dead', { amount: 5 })).statusCode, 409);
  clock.advanceMs(2000);
  const res = await post('k-dead', { amount: 5 });
  assert.equal(res.statusCode, 201);
  assert.equal(res.headers['idempotent-replayed'], undefined);
});

test('keys are kept for the retention period, then purged and free again', async () => {
  await post('k-old', { amount: 1 }, 'm9');
  clock.advanceMs(config.limits.idempotency.keySecondsRetention * 1000 - 1000);
  assert.equal((await post('k-old', { amount: 1 }, 'm9')).headers['idempotent-replayed'], 'true');
  assert.equal((await post('k-old', { amount: 2 }, 'm9')).statusCode, 422);
  clock.advanceMs(2000);
  // Past retention but not yet purged: the key starts afresh.
  const fresh = await post('k-old', { amount: 2 }, 'm9');
  assert.equal(fresh.statusCode, 201);
  assert.equal(fresh.json().amount, 2);
  clock.advanceMs(config.limits.idempotency.keySecondsRetention * 1000 + 1000);
  const purged = await idem.purge();
  assert.ok(purged >= 1);
  const [left] = await db.sql`select count(*)::int as n from idempotency_keys`;
  assert.equal(left?.['n'], 0);
  assert.ok(config.limits.idempotency.keySecondsRetention >= 86_400);
});

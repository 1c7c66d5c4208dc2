import { randomUUID } from 'node:crypto';
import { loadConfig } from '../src/config.ts';
import { createServer } from '../src/http/index.ts';
import { createLogger } from '../src/lib/log.ts';
import { freePort } from '../test/helpers/free-port.ts';
import { percentile as pct, runLoad, type LoadJob } from './load.ts';

// `npm run bench:http-floor`: what this machine does over HTTP before any payment work, the
// floor under bench:pay. The platform's own HTTP stack (http/server.ts: strict schemas and
// content types, request ids, security headers, logging, one error shape) serves a route
// shaped like POST /v1/code_payments: the same body schema and the same Terminal credential
// and Idempotency-Key checks, answered at once with a payment-sized JSON body, no database.
// The same load generator as bench:pay drives it (load.ts): closed loop at
// BENCH_CONNECTIONS for the peak, then open loop at 80 % of it. A code payment, which also
// verifies a code, asks the risk hook, posts to the ledger and writes audit and outbox rows,
// cannot be faster on this machine than this.
//
// Environment: BENCH_REQUESTS (default 40,000), BENCH_CONNECTIONS (default 512, as bench:pay).

const REQUESTS = Number(process.env['BENCH_REQUESTS'] ?? 40_000);
const CONNECTIONS = Number(process.env['BENCH_CONNECTIONS'] ?? 512);
const TERMINAL_RE = /^Terminal (term_[A-Za-z0-9_-]{16,64}):(tk_[A-Za-z0-9_-]{43})$/;
const KEY_RE = /^[\x21-\x7e]{1,255}$/;

interface Body {
  code: string;
  amount: number;
  currency?: string;
  store_id: string;
  terminal_id?: string;
}

const config = loadConfig({ KINKO_ENV: 'test' });
const log = createLogger({ level: process.env['BENCH_LOG'] ?? 'warn' });
const app = await createServer({
  log,
  limits: config.limits,
  version: 'bench',
  routes: (a) => {
    a.post<{ Body: Body }>(
      '/v1/code_payments',
      {
        schema: {
          body: {
            type: 'object',
            additionalProperties: false,
            required: ['code', 'amount', 'store_id'],
            properties: {
              code: { type: 'string', minLength: 1, maxLength: 64 },
              amount: { type: 'integer', minimum: 1, maximum: 10_000_000 },
              currency: { type: 'string', enum: ['JPY'] },
              store_id: { type: 'string', minLength: 1, maxLength: 80 },
              terminal_id: { type: 'string', minLength: 1, maxLength: 80 },
            },
          },
        },
      },
      async (req, reply) => {
        const key = req.headers['idempotency-key'];
        const auth = TERMINAL_RE.exec(req.headers.authorization ?? '');
        if (typeof key !== 'string' || !KEY_RE.test(key) || !auth) {
          return reply.code(400).send({ error: 'bad request' });
        }
        const id = `cpay_${randomUUID()}`;
        return reply.send({
          id,
          object: 'code_payment',
          method: 'cpm',
          status: 'succeeded',
          amount: String(req.body.amount),
          amount_refunded: '0',
          currency: 'JPY',
          merchant_id: randomUUID(),
          store_id: req.body.store_id,
          terminal_id: auth[1],
          risk: { decision: 'allow', reasons: [] },
          created_at: new Date().toISOString(),
          receipt: { number: id, text: `Kinko payment ¥${req.body.amount}` },
        });
      },
    );
  },
});
const port = await freePort();
await app.listen({ host: '127.0.0.1', port });

const auth = `Terminal term_${'a'.repeat(24)}:tk_${'b'.repeat(43)}`;
const storeId = `store_${'c'.repeat(24)}`;
const bodies = (n: number) =>
  Array.from({ length: n }, (_, i) =>
    JSON.stringify({
      code: String(4_000_000_000_000_000_000n + BigInt(i)),
      amount: 100,
      store_id: storeId,
    }),
  );
const job = (n: number, rate: number): LoadJob => ({
  url: `http://127.0.0.1:${port}`,
  path: '/v1/code_payments',
  headers: { authorization: auth },
  bodies: bodies(n),
  idempotencyPrefix: `floor-${rate}-`,
  connections: CONNECTIONS,
  rate,
});

try {
  const cpu0 = process.cpuUsage();
  const peak = await runLoad(job(REQUESTS, 0));
  const cpu = process.cpuUsage(cpu0);
  const peakRate = peak.ok / peak.seconds;
  const rate = Math.max(1, Math.floor(peakRate * 0.8));
  const steady = await runLoad(job(REQUESTS, rate));
  const a = peak.latenciesMs.sort((x, y) => x - y);
  const b = steady.latenciesMs.sort((x, y) => x - y);
  const failures = peak.failed + steady.failed;
  const first = failures ? ` (first: ${peak.firstFailure || steady.firstFailure})` : '';
  const perRequest = (seconds: number) => ((seconds / peak.ok) * 1e6).toFixed(0);
  process.stdout.write(
    `http floor (code-payment-shaped route, no database): peak ${peakRate.toFixed(0)} ` +
      `requests/s (${peak.ok} in ${peak.seconds.toFixed(2)} s, ${CONNECTIONS} connections, ` +
      `p50 ${pct(a, 50).toFixed(1)} ms, p99 ${pct(a, 99).toFixed(1)} ms); ` +
      `at 80 % = ${rate}/s: ${(steady.ok / steady.seconds).toFixed(0)} requests/s, ` +
      `p50 ${pct(b, 50).toFixed(1)} ms, p99 ${pct(b, 99).toFixed(1)} ms; ` +
      `failures ${failures}${first}; ` +
      `CPU per request: server ${perRequest((cpu.user + cpu.system) / 1e6)} µs, ` +
      `load generator ${perRequest(peak.cpuSeconds)} µs\n`,
  );
} finally {
  await app.close();
}

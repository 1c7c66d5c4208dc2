import { randomUUID } from 'node:crypto';
import { loadConfig } from '../src/config.ts';
import { createServer } from '../src/http/index.ts';
import type { Logger } from '../src/lib/log.ts';
import { freePort } from '../test/helpers/free-port.ts';
import { percentile as pct, runLoad, type LoadJob, type LoadResult } from './load.ts';

// The HTTP floor: what this machine does over HTTP before any payment work, the reference
// bench:pay is held to. The platform's own HTTP stack (http/server.ts: strict schemas and
// content types, request ids, security headers, logging, one error shape) serves a route
// shaped like POST /v1/code_payments: the same body schema and the same Terminal credential
// and Idempotency-Key checks, answered at once with a payment-sized JSON body, no database.
// The same load generator as bench:pay drives it (load.ts): closed loop for the peak, then
// open loop at 80 % of it. A code payment, which also verifies a code, asks the risk hook,
// posts to the ledger and writes audit and outbox rows, cannot be faster than this.

const TERMINAL_RE = /^Terminal (term_[A-Za-z0-9_-]{16,64}):(tk_[A-Za-z0-9_-]{43})$/;
const KEY_RE = /^[\x21-\x7e]{1,255}$/;

interface Body {
  code: string;
  amount: number;
  currency?: string;
  store_id: string;
  terminal_id?: string;
}

const BODY_SCHEMA = {
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
} as const;

/** The floor's server on 127.0.0.1; close() stops it. */
export async function startFloor(log: Logger): Promise<{ url: string; close(): Promise<void> }> {
  const config = loadConfig({ KINKO_ENV: 'test' });
  const app = await createServer({
    log,
    limits: config.limits,
    version: 'bench',
    routes: (a) => {
      a.post<{ Body: Body }>(
        '/v1/code_payments',
        { schema: { body: BODY_SCHEMA } },
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
  return { url: `http://127.0.0.1:${port}`, close: () => app.close() };
}

export interface FloorFigures {
  peakPerSecond: number;
  peakP50Ms: number;
  peakP99Ms: number;
  /** The open-loop rate: 80 % of the peak. */
  steadyRate: number;
  steadyPerSecond: number;
  steadyP50Ms: number;
  steadyP99Ms: number;
  failures: number;
  firstFailure: string;
  /** CPU per request of the server (this process) and of the load generator, µs. */
  serverCpuUs: number;
  loadGeneratorCpuUs: number;
  requests: number;
  connections: number;
}

/** Starts the floor, measures its peak and its latency at 80 % of the peak, and stops it. */
export async function measureFloor(
  log: Logger,
  requests: number,
  connections: number,
): Promise<FloorFigures> {
  const floor = await startFloor(log);
  const auth = `Terminal term_${'a'.repeat(24)}:tk_${'b'.repeat(43)}`;
  const storeId = `store_${'c'.repeat(24)}`;
  const bodies = Array.from({ length: requests }, (_, i) =>
    JSON.stringify({
      code: String(4_000_000_000_000_000_000n + BigInt(i)),
      amount: 100,
      store_id: storeId,
    }),
  );
  const job = (rate: number): LoadJob => ({
    url: floor.url,
    path: '/v1/code_payments',
    headers: { authorization: auth },
    bodies,
    idempotencyPrefix: `floor-${rate}-`,
    connections,
    rate,
  });
  try {
    const cpu0 = process.cpuUsage();
    const peak = await runLoad(job(0));
    const cpu = process.cpuUsage(cpu0);
    const peakRate = peak.ok / peak.seconds;
    const rate = Math.max(1, Math.floor(peakRate * 0.8));
    const steady = await runLoad(job(rate));
    const a = sorted(peak);
    const b = sorted(steady);
    return {
      peakPerSecond: peakRate,
      peakP50Ms: pct(a, 50),
      peakP99Ms: pct(a, 99),
      steadyRate: rate,
      steadyPerSecond: steady.ok / steady.seconds,
      steadyP50Ms: pct(b, 50),
      steadyP99Ms: pct(b, 99),
      failures: peak.failed + steady.failed,
      firstFailure: peak.firstFailure || steady.firstFailure,
      serverCpuUs: (cpu.user + cpu.system) / peak.ok,
      loadGeneratorCpuUs: (peak.cpuSeconds / peak.ok) * 1e6,
      requests,
      connections,
    };
  } finally {
    await floor.close();
  }
}

const sorted = (r: LoadResult) => r.latenciesMs.sort((x, y) => x - y);

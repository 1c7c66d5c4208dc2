import { fork } from 'node:child_process';
import { createPrivateKey, sign, type JsonWebKey } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { proofMessage } from '../src/identity/index.ts';
import { Connection } from './load.ts';

// Closed-loop callers for the multi-request flows (bench:topup, bench:web-pay), in a process
// of their own so they do not share the server's event loop: each caller runs its flow
// again as soon as the last one finished, one request at a time, over a keep-alive
// connection of its own written directly (load.ts's Connection: fetch cost the callers 5–9
// ms of CPU per flow, taken from the 2 cores the server and PostgreSQL share, where this
// costs a tenth of a millisecond). What is timed is a flow from its first request to its
// last answer.
// A flow's data (session tokens, device keys, card tokens) comes from the bench's fixtures.

export interface TopupCaller {
  token: string;
  deviceId: string;
  /** The device's P-256 private key, as a JWK: the child signs device proofs with it. */
  deviceKey: JsonWebKey;
  cardToken: string;
}

export interface WebPayCaller {
  secretKey: string;
  cardToken: string;
}

export type CallersJob =
  | { flow: 'topup'; url: string; amount: number; flowsEach: number; callers: TopupCaller[][] }
  | { flow: 'web-pay'; url: string; amount: number; flowsEach: number; callers: WebPayCaller[] };

export interface CallersResult {
  ok: number;
  failed: number;
  firstFailure: string;
  seconds: number;
  latenciesMs: number[];
  cpuSeconds: number;
}

const CHILD_FLAG = '--bench-callers';
let keys = 0;

/** A caller's keep-alive connection to the server under test. */
interface Client {
  conn: Connection;
  host: string;
}

function client(url: string): Client {
  const target = new URL(url);
  return { conn: new Connection(target), host: target.host };
}

/** POSTs a JSON body on the caller's connection and reads the answer. */
async function post(c: Client, path: string, headers: Record<string, string>, body: object) {
  const json = JSON.stringify(body);
  const lines = Object.entries(headers)
    .map(([k, v]) => `${k}: ${v}\r\n`)
    .join('');
  const request =
    `POST ${path} HTTP/1.1\r\nhost: ${c.host}\r\n${lines}content-type: application/json\r\n` +
    `content-length: ${Buffer.byteLength(json)}\r\n\r\n${json}`;
  await c.conn.ready;
  const [status, raw] = await new Promise<[number, string]>((resolve) =>
    c.conn.send(request, (code, text) => resolve([code, text])),
  );
  // The connection reads bytes as latin1; answers are UTF-8 JSON.
  const text = Buffer.from(raw, 'latin1').toString('utf8');
  return { status, json: () => JSON.parse(text) as Record<string, unknown>, text };
}

const idem = () => ({ 'idempotency-key': `bench-${process.pid}-${++keys}` });

/** A wallet top-up: a device challenge, signed, then the top-up with the linked card. */
async function topup(http: Client, c: TopupCaller, amount: number): Promise<string | null> {
  const auth = { authorization: `Bearer ${c.token}` };
  const ch = await post(http, '/v1/identity/devices/challenge', auth, {
    device_id: c.deviceId,
    action: 'topup',
  });
  if (ch.status !== 200) return `challenge ${ch.status} ${ch.text.slice(0, 200)}`;
  const challenge = ch.json()['challenge'] as string;
  const key = createPrivateKey({ key: c.deviceKey, format: 'jwk' });
  const sig = sign('sha256', proofMessage('topup', challenge), { key, dsaEncoding: 'ieee-p1363' });
  const res = await post(
    http,
    '/v1/wallet/topups',
    { ...auth, ...idem(), 'kinko-device-proof': `${challenge}.${sig.toString('base64url')}` },
    { amount, card_token: c.cardToken },
  );
  const status = res.status === 200 ? res.json()['status'] : undefined;
  return status === 'succeeded' ? null : `topup ${res.status} ${res.text.slice(0, 200)}`;
}

/** A web payment: created with the card and immediate capture, then confirmed. */
async function webPay(http: Client, c: WebPayCaller, amount: number): Promise<string | null> {
  const auth = { authorization: `Bearer ${c.secretKey}` };
  const created = await post(
    http,
    '/v1/payments',
    { ...auth, ...idem() },
    {
      amount,
      currency: 'JPY',
      payment_method: c.cardToken,
      capture_method: 'automatic',
    },
  );
  if (created.status !== 201) return `create ${created.status} ${created.text.slice(0, 200)}`;
  const id = created.json()['id'] as string;
  const done = await post(http, `/v1/payments/${id}/confirm`, { ...auth, ...idem() }, {});
  const status = done.status === 200 ? done.json()['status'] : undefined;
  return status === 'succeeded' ? null : `confirm ${done.status} ${done.text.slice(0, 200)}`;
}

async function drive(job: CallersJob): Promise<CallersResult> {
  const result: CallersResult = {
    ok: 0,
    failed: 0,
    firstFailure: '',
    seconds: 0,
    latenciesMs: [],
    cpuSeconds: 0,
  };
  const record = (failure: string | null, startedAt: number) => {
    result.latenciesMs.push(performance.now() - startedAt);
    if (failure === null) result.ok += 1;
    else {
      result.failed += 1;
      result.firstFailure ||= failure;
    }
  };
  const cpu0 = process.cpuUsage();
  const started = performance.now();
  await Promise.all(
    job.callers.map(async (caller, i) => {
      const http = client(job.url);
      for (let n = 0; n < job.flowsEach; n++) {
        const at = performance.now();
        try {
          if (job.flow === 'topup') {
            // A caller goes through its customers in turn: each takes a few top-ups only.
            const customers = caller as TopupCaller[];
            record(await topup(http, customers[n % customers.length]!, job.amount), at);
          } else {
            record(await webPay(http, job.callers[i]!, job.amount), at);
          }
        } catch (e) {
          record(String(e), at);
        }
      }
      http.conn.close();
    }),
  );
  result.seconds = (performance.now() - started) / 1000;
  const cpu = process.cpuUsage(cpu0);
  result.cpuSeconds = (cpu.user + cpu.system) / 1e6;
  return result;
}

/** Runs the callers in a process of their own and returns what they measured. */
export function runCallers(job: CallersJob): Promise<CallersResult> {
  return new Promise((resolve, reject) => {
    const child = fork(fileURLToPath(import.meta.url), [CHILD_FLAG], {
      execArgv: ['--import', 'tsx'],
    });
    child.once('message', (result) => resolve(result as CallersResult));
    child.once('error', reject);
    child.once('exit', (code) => {
      if (code !== 0) reject(new Error(`the callers' process exited with ${code}`));
    });
    child.send(job);
  });
}

if (process.argv.includes(CHILD_FLAG)) {
  process.once('message', (job: CallersJob) => {
    void drive(job).then((result) => process.send!(result, () => process.exit(0)));
  });
}

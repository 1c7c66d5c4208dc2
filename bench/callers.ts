import { fork } from 'node:child_process';
import { createPrivateKey, sign, type JsonWebKey } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { proofMessage } from '../src/identity/index.ts';

// Closed-loop callers for the multi-request flows (bench:topup, bench:web-pay), in a process
// of their own so they do not share the server's event loop: each caller runs its flow
// again as soon as the last one finished, one request at a time, over keep-alive
// connections (fetch). What is timed is a flow from its first request to its last answer.
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

async function post(url: string, headers: Record<string, string>, body: object) {
  const res = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: JSON.stringify(body),
  });
  const text = await res.text();
  return { status: res.status, json: () => JSON.parse(text) as Record<string, unknown>, text };
}

const idem = () => ({ 'idempotency-key': `bench-${process.pid}-${++keys}` });

/** A wallet top-up: a device challenge, signed, then the top-up with the linked card. */
async function topup(url: string, c: TopupCaller, amount: number): Promise<string | null> {
  const auth = { authorization: `Bearer ${c.token}` };
  const ch = await post(`${url}/v1/identity/devices/challenge`, auth, {
    device_id: c.deviceId,
    action: 'topup',
  });
  if (ch.status !== 200) return `challenge ${ch.status} ${ch.text.slice(0, 200)}`;
  const challenge = ch.json()['challenge'] as string;
  const key = createPrivateKey({ key: c.deviceKey, format: 'jwk' });
  const sig = sign('sha256', proofMessage('topup', challenge), { key, dsaEncoding: 'ieee-p1363' });
  const res = await post(
    `${url}/v1/wallet/topups`,
    { ...auth, ...idem(), 'kinko-device-proof': `${challenge}.${sig.toString('base64url')}` },
    { amount, card_token: c.cardToken },
  );
  const status = res.status === 200 ? res.json()['status'] : undefined;
  return status === 'succeeded' ? null : `topup ${res.status} ${res.text.slice(0, 200)}`;
}

/** A web payment: created with the card and immediate capture, then confirmed. */
async function webPay(url: string, c: WebPayCaller, amount: number): Promise<string | null> {
  const auth = { authorization: `Bearer ${c.secretKey}` };
  const created = await post(
    `${url}/v1/payments`,
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
  const done = await post(`${url}/v1/payments/${id}/confirm`, { ...auth, ...idem() }, {});
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
      for (let n = 0; n < job.flowsEach; n++) {
        const at = performance.now();
        try {
          if (job.flow === 'topup') {
            // A caller goes through its customers in turn: each takes a few top-ups only.
            const customers = caller as TopupCaller[];
            record(await topup(job.url, customers[n % customers.length]!, job.amount), at);
          } else {
            record(await webPay(job.url, job.callers[i]!, job.amount), at);
          }
        } catch (e) {
          record(String(e), at);
        }
      }
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

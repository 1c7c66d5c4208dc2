import { fork } from 'node:child_process';
import net from 'node:net';
import { fileURLToPath } from 'node:url';

// The benchmarks' HTTP load generator, in a process of its own so that it does not share
// the server's event loop: keep-alive connections written on the socket directly (Node's
// http client costs about as much CPU per request as a payment), one request at a time per
// connection (no pipelining). Closed loop (rate 0: each connection sends its next request as
// soon as the last is answered) for a peak; open loop at a fixed rate, timed from each
// request's due time so that queueing is measured too (no coordinated omission).

export interface LoadJob {
  url: string;
  path: string;
  headers: Record<string, string>;
  /** One JSON body per request, sent in this order. */
  bodies: string[];
  /** Each request's Idempotency-Key is this prefix and its index. */
  idempotencyPrefix: string;
  connections: number;
  /** Requests per second for an open-loop run; 0 for closed loop. */
  rate: number;
}

export interface LoadResult {
  ok: number;
  failed: number;
  firstFailure: string;
  seconds: number;
  latenciesMs: number[];
  /** CPU seconds the load generator used. */
  cpuSeconds: number;
  /** Answers nobody asked for (Node's 408 on an idle connection) and connections closed. */
  dropped: number;
}

const GENERATOR_FLAG = '--load-generator';

/**
 * One keep-alive connection. The server may answer without being asked and close: Node's
 * HTTP server sends 408 on a connection that sent no request within its headers timeout
 * (an idle connection of an open-loop run). Such an answer is dropped, and the next request
 * goes out on a new connection; a request in flight when the connection closes fails.
 */
export class Connection {
  private buf = '';
  private current: { done: (status: number, body: string) => void } | null = null;
  readonly ready: Promise<void>;
  private socket: net.Socket;
  private open = true;
  /** Unsolicited answers and closed connections, for the result. */
  static dropped = 0;

  constructor(private readonly target: URL) {
    this.socket = this.connect();
    this.ready = new Promise((resolve, reject) => {
      this.socket.once('connect', resolve);
      this.socket.once('error', reject);
    });
  }

  send(request: string, done: (status: number, body: string) => void) {
    if (!this.open) this.socket = this.connect();
    this.current = { done };
    this.socket.write(request);
  }

  close(): void {
    this.open = false;
    this.socket.destroy();
  }

  private connect(): net.Socket {
    const socket = net.connect({ host: this.target.hostname, port: Number(this.target.port) });
    this.open = true;
    this.buf = '';
    socket.setNoDelay(true);
    socket.on('data', (chunk: Buffer) => this.read(chunk));
    // After 'ready', a socket error ends in 'close', handled there.
    socket.on('error', () => undefined);
    socket.on('close', () => {
      if (socket !== this.socket || !this.open) return;
      this.open = false;
      Connection.dropped += 1;
      const current = this.current;
      this.current = null;
      current?.done(0, 'connection closed by the server');
    });
    return socket;
  }

  private read(chunk: Buffer): void {
    this.buf += chunk.toString('latin1');
    for (;;) {
      const head = this.buf.indexOf('\r\n\r\n');
      if (head < 0) return;
      const length = /\r\ncontent-length: *(\d+)/i.exec(this.buf.slice(0, head));
      const end = head + 4 + (length ? Number(length[1]) : 0);
      if (this.buf.length < end) return;
      const status = Number(this.buf.slice(9, 12));
      const body = this.buf.slice(head + 4, end);
      this.buf = this.buf.slice(end);
      const current = this.current;
      this.current = null;
      if (current) current.done(status, body);
      else Connection.dropped += 1;
    }
  }
}

async function drive(job: LoadJob): Promise<LoadResult> {
  const target = new URL(job.url);
  const conns = Array.from({ length: job.connections }, () => new Connection(target));
  await Promise.all(conns.map((c) => c.ready));
  const fixed = Object.entries({ host: target.host, ...job.headers })
    .map(([k, v]) => `${k}: ${v}\r\n`)
    .join('');
  const request = (i: number) => {
    const body = job.bodies[i]!;
    return (
      `POST ${job.path} HTTP/1.1\r\n${fixed}idempotency-key: ${job.idempotencyPrefix}${i}\r\n` +
      `content-type: application/json\r\ncontent-length: ${Buffer.byteLength(body)}\r\n\r\n` +
      body
    );
  };
  const result: LoadResult = {
    ok: 0,
    failed: 0,
    firstFailure: '',
    seconds: 0,
    latenciesMs: [],
    cpuSeconds: 0,
    dropped: 0,
  };
  const cpuStart = process.cpuUsage();
  const started = performance.now();
  await new Promise<void>((finish) => {
    const n = job.bodies.length;
    let next = 0;
    let answered = 0;
    const waiting: { i: number; at: number }[] = [];
    const idle = [...conns];
    const go = (conn: Connection, i: number, at: number) =>
      conn.send(request(i), (status, text) => {
        result.latenciesMs.push(performance.now() - at);
        if (status === 200) result.ok += 1;
        else {
          result.failed += 1;
          result.firstFailure ||= `${status} ${text.slice(0, 200)}`;
        }
        if (++answered === n) return finish();
        if (job.rate === 0 && next < n) return go(conn, next++, performance.now());
        const queued = waiting.shift();
        if (queued) go(conn, queued.i, queued.at);
        else idle.push(conn);
      });
    if (job.rate === 0) {
      for (const conn of conns) if (next < n) go(conn, next++, performance.now());
      return;
    }
    // Open loop: request i is due at started + i / rate, sent on an idle connection or
    // queued; its latency counts from when it was due.
    const gapMs = 1000 / job.rate;
    const tick = () => {
      const now = performance.now();
      while (next < n && started + next * gapMs <= now) {
        const at = started + next * gapMs;
        const conn = waiting.length === 0 ? idle.pop() : undefined;
        if (conn) go(conn, next, at);
        else waiting.push({ i: next, at });
        next++;
      }
      if (next < n) setTimeout(tick, 1);
    };
    tick();
  });
  result.seconds = (performance.now() - started) / 1000;
  for (const c of conns) c.close();
  const cpuUsed = process.cpuUsage(cpuStart);
  result.cpuSeconds = (cpuUsed.user + cpuUsed.system) / 1e6;
  result.dropped = Connection.dropped;
  return result;
}

/** Runs a job in a load-generator process of its own and returns what it measured. */
export function runLoad(job: LoadJob): Promise<LoadResult> {
  return new Promise((resolve, reject) => {
    const child = fork(fileURLToPath(import.meta.url), [GENERATOR_FLAG], {
      execArgv: ['--import', 'tsx'],
    });
    child.once('message', (result) => resolve(result as LoadResult));
    child.once('error', reject);
    child.once('exit', (code) => {
      if (code !== 0) reject(new Error(`the load generator exited with ${code}`));
    });
    child.send(job);
  });
}

/** The p-th percentile of sorted values. */
export const percentile = (sorted: readonly number[], p: number): number =>
  sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? NaN;

if (process.argv.includes(GENERATOR_FLAG)) {
  process.once('message', (job: LoadJob) => {
    void drive(job).then((result) => process.send!(result, () => process.exit(0)));
  });
}

import net from 'node:net';
import type { Sql } from '../src/db/index.ts';

// Statements sent to PostgreSQL, counted from the bytes the pool writes: a figure of the
// code, not of the machine, so it compares across runs and commits where rates on a shared
// VM cannot. A statement is a Bind (extended protocol) or a Query (simple protocol, which
// counts once however many statements its text holds) message. Round trips are counted as
// the pool's socket writes: the driver gathers what is sent in one tick into one write, so
// statements pipelined together count once, and each write wakes PostgreSQL (and its answer
// wakes Node) once.
// The counting must not change what it measures: postgres.js's `debug` option, which names
// each statement, also makes every query of a transaction begun while it is set capture a
// stack trace (an Error per query): 8 % of the server's samples in a profile of
// bench:web-pay. It is set only for BENCH_STATEMENTS, which lists the statements' texts.

export interface StatementCounter {
  /**
   * Statements since start, and the most frequent, by their text's first 80 characters;
   * writes: the socket writes that carried them (round trips).
   */
  read(): { total: number; writes: number; top: [string, number][] };
  stop(): void;
}

interface DebugOptions {
  options: {
    debug?: ((conn: number, text: string) => void) | false | undefined;
    port?: number[];
    socket?: (o: unknown) => Promise<net.Socket>;
    [POOL_SOCKETS]?: WeakSet<net.Socket>;
  };
}

const POOL_SOCKETS = Symbol('kinko.bench.poolSockets');

/**
 * Remembers every socket the pool opens from now on, so that round trips over a Unix-domain
 * socket (which has no port to tell it from other pipes) are counted too. Call it right
 * after `connect`, before the pool opens its first connection.
 */
export function trackPoolSockets(sql: Sql): void {
  const options = (sql as unknown as DebugOptions).options;
  const make = options.socket;
  if (!make) return;
  const sockets = new WeakSet<net.Socket>();
  options[POOL_SOCKETS] = sockets;
  options.socket = async (o: unknown) => {
    const socket = await make(o);
    sockets.add(socket);
    return socket;
  };
}

/** Bind and Query messages in one socket write of the pool: the statements it carries. */
function statementsIn(chunk: unknown): number {
  if (!(chunk instanceof Uint8Array)) return 0;
  let n = 0;
  // Each message: a type byte, then its length (itself included) as a big-endian int32.
  for (let at = 0; at + 5 <= chunk.length;) {
    const type = chunk[at]!;
    if (type === 0x42 /* B */ || type === 0x51 /* Q */) n += 1;
    const length =
      ((chunk[at + 1]! << 24) | (chunk[at + 2]! << 16) | (chunk[at + 3]! << 8) | chunk[at + 4]!) >>>
      0;
    at += 1 + length;
  }
  return n;
}

export function countStatements(sql: Sql): StatementCounter {
  const options = (sql as unknown as DebugOptions).options;
  const counts = new Map<string, number>();
  let total = 0;
  let writes = 0;
  const texts = Boolean(process.env['BENCH_STATEMENTS']);
  if (texts) {
    options.debug = (_conn, text) => {
      const key = text.replace(/\s+/g, ' ').trim().slice(0, 80);
      counts.set(key, (counts.get(key) ?? 0) + 1);
    };
  }
  // The pool's sockets: those trackPoolSockets saw opened, else this process's sockets to
  // the database's TCP port (HTTP sockets are served on another port). The benchmarks are
  // the only user of this wrapper.
  const tracked = options[POOL_SOCKETS];
  const ports = new Set(options.port ?? []);
  const write = net.Socket.prototype.write;
  net.Socket.prototype.write = function (this: net.Socket, ...args: unknown[]) {
    if (tracked ? tracked.has(this) : ports.has(this.remotePort ?? -1)) {
      writes += 1;
      total += statementsIn(args[0]);
    }
    return (write as (...a: unknown[]) => boolean).apply(this, args);
  } as typeof write;
  return {
    read: () => ({
      total,
      writes,
      top: [...counts].sort((a, b) => b[1] - a[1]).slice(0, 100),
    }),
    stop: () => {
      if (texts) options.debug = false;
      net.Socket.prototype.write = write;
    },
  };
}

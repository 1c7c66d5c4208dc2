import net from 'node:net';
import type { Sql } from '../src/db/index.ts';

// Statements sent to PostgreSQL, counted in the driver: a figure of the code, not of the
// machine, so it compares across runs and commits where rates on a shared VM cannot.
// postgres.js calls options.debug for every statement it sends; the options object is
// shared by every connection of the pool, so setting it later counts from then on.
// Round trips are counted as the pool's socket writes: the driver gathers what is sent in
// one tick into one write, so statements pipelined together count once, and each write
// wakes PostgreSQL (and its answer wakes Node) once.

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

export function countStatements(sql: Sql): StatementCounter {
  const options = (sql as unknown as DebugOptions).options;
  const counts = new Map<string, number>();
  let total = 0;
  let writes = 0;
  options.debug = (_conn, text) => {
    total += 1;
    const key = text.replace(/\s+/g, ' ').trim().slice(0, 80);
    counts.set(key, (counts.get(key) ?? 0) + 1);
  };
  // The pool's sockets: those trackPoolSockets saw opened, else this process's sockets to
  // the database's TCP port (HTTP sockets are served on another port). The benchmarks are
  // the only user of this wrapper.
  const tracked = options[POOL_SOCKETS];
  const ports = new Set(options.port ?? []);
  const write = net.Socket.prototype.write;
  net.Socket.prototype.write = function (this: net.Socket, ...args: unknown[]) {
    if (tracked ? tracked.has(this) : ports.has(this.remotePort ?? -1)) writes += 1;
    return (write as (...a: unknown[]) => boolean).apply(this, args);
  } as typeof write;
  return {
    read: () => ({
      total,
      writes,
      top: [...counts].sort((a, b) => b[1] - a[1]).slice(0, 100),
    }),
    stop: () => {
      options.debug = false;
      net.Socket.prototype.write = write;
    },
  };
}

import net from 'node:net';
import tls from 'node:tls';

// A syslog collector on 127.0.0.1 for tests: reads RFC 6587 octet-counted frames, keeps the
// messages, and closes its side when the sender closes its own (what the export waits for).
// `resetNext` makes it read the next connection's batch and then reset it, as a collector
// crashing mid-batch would. With `tlsKeys` it speaks TLS (RFC 5425) with that key and
// certificate.

export interface SyslogReceiver {
  port: number;
  messages: string[];
  /** What a reset connection had read before it was reset (never counted as received). */
  readBeforeReset: string[];
  resetNext: boolean;
  stop(): Promise<void>;
  /** Listens again on the same port. */
  restart(): Promise<void>;
}

function parseFrames(buffer: Buffer, out: string[]): Buffer {
  let rest = buffer;
  for (;;) {
    const space = rest.indexOf(0x20);
    if (space < 0) return rest;
    const length = Number(rest.subarray(0, space).toString('ascii'));
    if (!Number.isInteger(length) || length <= 0) throw new Error('bad octet count');
    if (rest.length < space + 1 + length) return rest;
    out.push(rest.subarray(space + 1, space + 1 + length).toString('utf8'));
    rest = rest.subarray(space + 1 + length);
  }
}

export async function syslogReceiver(
  port = 0,
  tlsKeys?: { key: string; cert: string },
): Promise<SyslogReceiver> {
  let server: net.Server;
  const sockets = new Set<net.Socket>();
  const r: SyslogReceiver = {
    port,
    messages: [],
    readBeforeReset: [],
    resetNext: false,
    stop: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
    restart: () => listen(),
  };
  const onConnection = (socket: net.Socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    const reset = r.resetNext;
    r.resetNext = false;
    let pending: Buffer = Buffer.alloc(0);
    const got: string[] = [];
    socket.on('data', (chunk: Buffer) => {
      pending = parseFrames(Buffer.concat([pending, chunk]), got);
    });
    socket.on('end', () => {
      if (reset) {
        r.readBeforeReset.push(...got);
        socket.resetAndDestroy();
        return;
      }
      r.messages.push(...got);
      socket.end();
    });
    socket.on('error', () => undefined);
  };
  const listen = () =>
    new Promise<void>((resolve, reject) => {
      server = tlsKeys
        ? tls.createServer(tlsKeys, onConnection)
        : net.createServer(onConnection);
      server.once('error', reject);
      server.listen(r.port, '127.0.0.1', () => {
        const a = server.address();
        if (typeof a === 'object' && a) r.port = a.port;
        resolve();
      });
    });
  await listen();
  return r;
}

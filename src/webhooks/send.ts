import http from 'node:http';
import https from 'node:https';
import dns from 'node:dns';
import net from 'node:net';
import { isPrivateAddress, type Env } from './url.ts';

// One HTTP POST to a receiver, with every guard a webhook sender needs: a timeout over the
// whole exchange, no redirects followed (a 3xx is a failed attempt: following one would let
// a receiver point Kinko at an internal address), at most snippetBytes of the answer read,
// and in production a refusal to connect to a private, loopback or reserved address —
// checked on the address actually dialled, so DNS rebinding gains nothing.

interface SendResult {
  statusCode: number | null;
  durationMs: number;
  snippet: string | null;
  error: string | null;
}

interface SendOptions {
  url: string;
  body: string;
  headers: Record<string, string>;
  timeoutMs: number;
  snippetBytes: number;
  env: Env;
}

type LookupCallback = (
  err: NodeJS.ErrnoException | null,
  address: string | dns.LookupAddress[],
  family?: number,
) => void;

/** A dns.lookup that refuses private addresses; used in production only. */
function publicLookup(hostname: string, options: dns.LookupOptions, cb: LookupCallback): void {
  dns.lookup(hostname, { ...options, all: true }, (err, addresses) => {
    if (err) return cb(err, []);
    const bad = addresses.find((a) => isPrivateAddress(a.address));
    if (bad || addresses.length === 0) {
      const e: NodeJS.ErrnoException = new Error('address refused: private or reserved');
      e.code = 'EADDRREFUSED';
      return cb(e, []);
    }
    if (options.all) return cb(null, addresses);
    const first = addresses[0] as dns.LookupAddress;
    cb(null, first.address, first.family);
  });
}

export function send(o: SendOptions): Promise<SendResult> {
  const wallStart = performance.now();
  const url = new URL(o.url);
  const done = (r: Omit<SendResult, 'durationMs'>): SendResult => ({
    ...r,
    durationMs: Math.max(0, Math.round(performance.now() - wallStart)),
  });
  const literal = url.hostname.replace(/^\[|\]$/g, '');
  if (o.env === 'production' && net.isIP(literal) && isPrivateAddress(literal)) {
    return Promise.resolve(
      done({ statusCode: null, snippet: null, error: 'address refused: private' }),
    );
  }
  const client = url.protocol === 'https:' ? https : http;
  return new Promise((resolve) => {
    const req = client.request(
      url,
      {
        method: 'POST',
        headers: { ...o.headers, 'content-length': String(Buffer.byteLength(o.body)) },
        signal: AbortSignal.timeout(o.timeoutMs),
        ...(o.env === 'production' ? { lookup: publicLookup } : {}),
      },
      (res) => {
        const chunks: Buffer[] = [];
        let size = 0;
        const finish = () => {
          const snippet = Buffer.concat(chunks).subarray(0, o.snippetBytes);
          const status = res.statusCode ?? null;
          const redirect = status !== null && status >= 300 && status < 400;
          resolve(
            done({
              statusCode: status,
              snippet: snippet.toString('utf8').replace(/\uFFFD+$/, ''),
              error: redirect ? 'redirect refused' : null,
            }),
          );
          res.destroy();
        };
        res.on('data', (chunk: Buffer) => {
          chunks.push(chunk);
          size += chunk.length;
          if (size >= o.snippetBytes) finish();
        });
        res.on('end', finish);
        res.on('error', finish);
      },
    );
    req.on('error', (err: NodeJS.ErrnoException) => {
      const timedOut = err.name === 'AbortError' || err.name === 'TimeoutError';
      const message = timedOut ? `timed out after ${o.timeoutMs} ms` : (err.code ?? err.message);
      resolve(done({ statusCode: null, snippet: null, error: message.slice(0, 500) }));
    });
    req.end(o.body);
  });
}

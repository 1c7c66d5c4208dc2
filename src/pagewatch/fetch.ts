import dns from 'node:dns';
import http from 'node:http';
import https from 'node:https';
import net from 'node:net';
import { addressAllowed, urlAllowed, type AddressPolicy } from './url.ts';

// Every request the monitored browser makes goes through here, not through Chromium's own
// network stack: the browser asks (a routed request), Node dials the address it checked
// (the lookup below refuses any address the policy refuses, on the answer actually used, so
// DNS rebinding between a check and a connect is impossible), and the answer is handed back
// to the browser. Redirects are not followed here: the browser follows a 3xx with a new
// request, which comes back through this check. Bodies are bounded and timed.

interface FetchRequest {
  method: string;
  url: string;
  headers: Record<string, string>;
  body: Buffer | null;
}

interface FetchAnswer {
  status: number;
  headers: Record<string, string>;
  body: Buffer;
}

export interface FetchLimits {
  timeoutMs: number;
  bodyBytesMax: number;
}

/** Refused before any byte is sent: the message says which rule, never the address. */
export class AddressRefused extends Error {}

type LookupCallback = (
  err: NodeJS.ErrnoException | null,
  address: string | dns.LookupAddress[],
  family?: number,
) => void;

function guardedLookup(policy: AddressPolicy) {
  return (hostname: string, options: dns.LookupOptions, cb: LookupCallback): void => {
    dns.lookup(hostname, { ...options, all: true }, (err, addresses) => {
      if (err) return cb(err, []);
      if (addresses.length === 0 || !addresses.every((a) => addressAllowed(a.address, policy))) {
        const e: NodeJS.ErrnoException = new AddressRefused('address refused: not public');
        e.code = 'EADDRREFUSED';
        return cb(e, []);
      }
      if (options.all) return cb(null, addresses);
      const first = addresses[0]!;
      cb(null, first.address, first.family);
    });
  };
}

/** Headers the browser sent that Node sets itself, or that would ask for a compressed body. */
const DROPPED_REQUEST = new Set([
  'host',
  'connection',
  'content-length',
  'accept-encoding',
  'transfer-encoding',
  'upgrade',
]);
/** Headers of the answer that describe the wire, not the decoded body handed back. */
const DROPPED_ANSWER = new Set([
  'content-encoding',
  'content-length',
  'transfer-encoding',
  'connection',
]);

function answerHeaders(res: http.IncomingMessage): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(res.headers)) {
    if (value === undefined || DROPPED_ANSWER.has(name)) continue;
    out[name] = Array.isArray(value) ? value.join(name === 'set-cookie' ? '\n' : ', ') : value;
  }
  return out;
}

/** One request, dialled only to an address the policy allows; rejects on refusal or limits. */
export function guardedFetch(
  r: FetchRequest,
  policy: AddressPolicy,
  limits: FetchLimits,
): Promise<FetchAnswer> {
  const url = new URL(r.url);
  if (!urlAllowed(url, policy)) return Promise.reject(new AddressRefused('scheme refused'));
  const literal = url.hostname.replace(/^\[|\]$/g, '');
  if (net.isIP(literal) && !addressAllowed(literal, policy)) {
    return Promise.reject(new AddressRefused('address refused: not public'));
  }
  const headers = Object.fromEntries(
    Object.entries(r.headers).filter(([k]) => !DROPPED_REQUEST.has(k.toLowerCase())),
  );
  const client = url.protocol === 'https:' ? https : http;
  return new Promise((resolve, reject) => {
    const req = client.request(
      url,
      {
        method: r.method,
        headers,
        lookup: guardedLookup(policy),
        signal: AbortSignal.timeout(limits.timeoutMs),
      },
      (res) => {
        const chunks: Buffer[] = [];
        let size = 0;
        res.on('data', (c: Buffer) => {
          size += c.length;
          if (size > limits.bodyBytesMax) {
            req.destroy(new Error(`body over ${limits.bodyBytesMax} bytes`));
            return;
          }
          chunks.push(c);
        });
        res.on('end', () =>
          resolve({
            status: res.statusCode ?? 502,
            headers: answerHeaders(res),
            body: Buffer.concat(chunks),
          }),
        );
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    req.end(r.body ?? undefined);
  });
}

import { createHmac, timingSafeEqual } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';

// A merchant's webhook receiver on 127.0.0.1, as a merchant would write it: it verifies
// Kinko-Signature with its own HMAC code (not Kinko's), and answers from a script of
// statuses so tests can make it fail, redirect or hang.

export interface Received {
  headers: http.IncomingHttpHeaders;
  body: string;
  /** Which of the receiver's secrets verified one of the v1 signatures. */
  verifiedWith: string[];
  v1Count: number;
}

export interface Receiver {
  url: string;
  received: Received[];
  secrets: string[];
  /** Statuses to answer with, in order; 200 once the script is used up. */
  script: Array<number | 'hang'>;
  /** Body to answer with. */
  answer: string;
  close(): Promise<void>;
}

function ownVerify(header: string, body: string, secret: string): boolean {
  const parts = header.split(',').map((p) => p.split('='));
  const t = parts.find(([k]) => k === 't')?.[1] ?? '';
  const mac = createHmac('sha256', secret).update(`${t}.${body}`).digest();
  return parts
    .filter(([k]) => k === 'v1')
    .some(([, v]) => {
      const given = Buffer.from(v ?? '', 'hex');
      return given.length === mac.length && timingSafeEqual(given, mac);
    });
}

export async function startReceiver(path = '/hooks'): Promise<Receiver> {
  const r: Omit<Receiver, 'url' | 'close'> = {
    received: [],
    secrets: [],
    script: [],
    answer: 'ok',
  };
  const hanging: http.ServerResponse[] = [];
  const server = http.createServer((req, res) => {
    let body = '';
    req.setEncoding('utf8');
    req.on('data', (c: string) => (body += c));
    req.on('end', () => {
      const header = String(req.headers['kinko-signature'] ?? '');
      r.received.push({
        headers: req.headers,
        body,
        verifiedWith: r.secrets.filter((s) => ownVerify(header, body, s)),
        v1Count: header.split(',').filter((p) => p.startsWith('v1=')).length,
      });
      const next = r.script.shift() ?? 200;
      if (next === 'hang') return void hanging.push(res);
      if (next >= 300 && next < 400) res.setHeader('location', `http://127.0.0.1:1${path}`);
      res.writeHead(next, { 'content-type': 'text/plain' }).end(r.answer);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return Object.assign(r, {
    url: `http://127.0.0.1:${port}${path}`,
    close: async () => {
      for (const h of hanging) h.destroy();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  }) as Receiver;
}

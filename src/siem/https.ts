import fs from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import type { EcsEvent } from './ecs.ts';

// HTTPS transport: a batch is one POST of newline-delimited ECS JSON; any 2xx accepts it,
// anything else (or no answer in time) fails it and it is sent again later, whole. A
// collector behind a private CA is trusted through caFile (the system's CAs otherwise); a
// redirect is a failure, never followed, so events go only where they were configured to.

export interface HttpsTarget {
  url: string;
  token?: string | undefined;
  /** PEM file of the CA the collector's certificate chains to. */
  caFile?: string | undefined;
  timeoutMs: number;
}

export function sendHttpsBatch(target: HttpsTarget, events: readonly EcsEvent[]): Promise<void> {
  const url = new URL(target.url);
  const body = Buffer.from(events.map((e) => JSON.stringify(e)).join('\n') + '\n', 'utf8');
  const headers: Record<string, string> = {
    'content-type': 'application/x-ndjson',
    'content-length': String(body.length),
  };
  if (target.token) headers['authorization'] = `Bearer ${target.token}`;
  const secure = url.protocol === 'https:';
  const ca = secure && target.caFile ? fs.readFileSync(target.caFile) : undefined;
  const send = secure ? https.request : http.request;
  return new Promise<void>((resolve, reject) => {
    const req = send(url, { method: 'POST', headers, ca, timeout: target.timeoutMs }, (res) => {
      res.resume();
      res.on('error', reject);
      res.on('end', () => {
        const status = res.statusCode ?? 0;
        if (status >= 200 && status < 300) resolve();
        else reject(new Error(`SIEM collector answered ${status}`));
      });
    });
    req.on('timeout', () =>
      req.destroy(new Error(`SIEM collector did not answer within ${target.timeoutMs} ms`)),
    );
    req.on('error', reject);
    req.end(body);
  });
}

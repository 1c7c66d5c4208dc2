import type { EcsEvent } from './ecs.ts';

// HTTPS transport: a batch is one POST of newline-delimited ECS JSON; any 2xx accepts it,
// anything else (or no answer in time) fails it and it is sent again later, whole.

export interface HttpsTarget {
  url: string;
  token?: string | undefined;
  timeoutMs: number;
}

export async function sendHttpsBatch(target: HttpsTarget, events: readonly EcsEvent[]) {
  const headers: Record<string, string> = { 'content-type': 'application/x-ndjson' };
  if (target.token) headers['authorization'] = `Bearer ${target.token}`;
  const res = await fetch(target.url, {
    method: 'POST',
    headers,
    body: events.map((e) => JSON.stringify(e)).join('\n') + '\n',
    redirect: 'error',
    signal: AbortSignal.timeout(target.timeoutMs),
  });
  await res.arrayBuffer();
  if (res.status < 200 || res.status >= 300) {
    throw new Error(`SIEM collector answered ${res.status}`);
  }
}

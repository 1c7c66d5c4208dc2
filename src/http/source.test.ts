import { test } from 'node:test';
import assert from 'node:assert/strict';
import { loadConfig } from '../config.ts';
import { capturedLogger } from '../../test/helpers/log.ts';
import { createServer } from './server.ts';
import { sourceOf } from './source.ts';

// X-Forwarded-For is believed only from KINKO_TRUSTED_PROXIES, and the client is the
// rightmost address that is not a trusted proxy.

async function app(trusted: string) {
  const config = loadConfig({ KINKO_TRUSTED_PROXIES: trusted });
  return createServer({
    log: capturedLogger('warn').log,
    limits: config.limits,
    version: 'test',
    trustedProxies: config.trustedProxies,
    routes: (scope) => {
      scope.get('/whoami', async (req) => sourceOf(req));
    },
  });
}

const whoami = async (
  a: Awaited<ReturnType<typeof app>>,
  peer: string,
  headers: Record<string, string> = {},
) =>
  (await a.inject({ method: 'GET', url: '/whoami', remoteAddress: peer, headers })).json()
    .ip as string;

test('without trusted proxies, X-Forwarded-For and Forwarded are ignored', async () => {
  const a = await app('');
  const spoof = { 'x-forwarded-for': '198.51.100.7', forwarded: 'for=198.51.100.8' };
  assert.equal(await whoami(a, '203.0.113.5', spoof), '203.0.113.5');
  assert.equal(await whoami(a, '10.0.0.1', spoof), '10.0.0.1');
});

test('a spoofed X-Forwarded-For from an untrusted peer is ignored', async () => {
  const a = await app('10.0.0.0/8, fd00::/8');
  assert.equal(
    await whoami(a, '203.0.113.5', { 'x-forwarded-for': '198.51.100.7' }),
    '203.0.113.5',
  );
});

test('from a trusted peer, the rightmost address not in the list is the client', async () => {
  const a = await app('10.0.0.0/8 fd00::/8');
  // The balancer appended the client it saw; what the client wrote to its left proves nothing.
  const chain = { 'x-forwarded-for': '1.2.3.4, 198.51.100.7' };
  assert.equal(await whoami(a, '10.1.2.3', chain), '198.51.100.7');
  // Two trusted hops (an ingress behind the balancer).
  const twoHops = { 'x-forwarded-for': '1.2.3.4, 198.51.100.7, 10.9.9.9' };
  assert.equal(await whoami(a, '10.1.2.3', twoHops), '198.51.100.7');
  assert.equal(await whoami(a, 'fd00::1', { 'x-forwarded-for': '2001:db8::7' }), '2001:db8::7');
  assert.equal(await whoami(a, '::ffff:10.1.2.3', chain), '198.51.100.7');
  // RFC 7239 Forwarded is not read, even from a trusted peer.
  assert.equal(await whoami(a, '10.1.2.3', { forwarded: 'for=198.51.100.8' }), '10.1.2.3');
});

import { lookup } from 'node:dns/promises';
import net from 'node:net';
import { webhooksError } from './errors.ts';

// Endpoint URLs and the addresses Kinko will connect to (SSRF, OWASP ASVS 5.0 V1.3): in
// production only https, and never a private, loopback, link-local or reserved address,
// checked when the endpoint is registered and again on every connection (the address
// actually dialled, so a DNS answer that changes after registration cannot slip through).
// Outside production, plain http is allowed to the loopback host only, for local receivers.

const LOOPBACK_HOSTS = new Set(['127.0.0.1', 'localhost', '[::1]']);

export type Env = 'development' | 'production' | 'test';

/** The parsed URL, or webhook_url_invalid. */
export function checkEndpointUrl(text: string, env: Env): URL {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw webhooksError('webhook_url_invalid', { param: 'url' });
  }
  const ok =
    !url.username &&
    !url.password &&
    !url.hash &&
    !text.includes('#') &&
    (url.protocol === 'https:' ||
      (env !== 'production' && url.protocol === 'http:' && LOOPBACK_HOSTS.has(url.hostname)));
  if (!ok) throw webhooksError('webhook_url_invalid', { param: 'url' });
  // The URL is stored as parsed, percent-encoded: 200 emoji are 2,400 characters by then.
  if (url.href.length > URL_CHARACTERS_MAX) {
    throw webhooksError('webhook_url_invalid', {
      param: 'url',
      message: `The URL is longer than ${URL_CHARACTERS_MAX} characters once percent-encoded.`,
    });
  }
  return url;
}

/** The longest endpoint URL stored, as the schema and the table allow. */
export const URL_CHARACTERS_MAX = 2048;

const blocked = new net.BlockList();
for (const [prefix, bits] of [
  ['0.0.0.0', 8],
  ['10.0.0.0', 8],
  ['100.64.0.0', 10],
  ['127.0.0.0', 8],
  ['169.254.0.0', 16],
  ['172.16.0.0', 12],
  ['192.0.0.0', 24],
  ['192.0.2.0', 24],
  ['192.168.0.0', 16],
  ['198.18.0.0', 15],
  ['198.51.100.0', 24],
  ['203.0.113.0', 24],
  ['224.0.0.0', 4],
  ['240.0.0.0', 4],
] as const) {
  blocked.addSubnet(prefix, bits, 'ipv4');
}
for (const [prefix, bits] of [
  ['::', 128],
  ['::1', 128],
  ['64:ff9b::', 96],
  ['100::', 64],
  ['2001:db8::', 32],
  ['fc00::', 7],
  ['fe80::', 10],
  ['ff00::', 8],
] as const) {
  blocked.addSubnet(prefix, bits, 'ipv6');
}

/** Whether an address is private, loopback, link-local, reserved or an IPv4-mapped one. */
export function isPrivateAddress(address: string): boolean {
  const family = net.isIP(address);
  if (family === 0) return true;
  // IPv4-mapped IPv6 (::ffff:a.b.c.d) has no legitimate use for a receiver; refusing it
  // outright closes the `[::ffff:127.0.0.1]` spelling of loopback.
  if (family === 6 && /^(0*:)*:?ffff:/i.test(address)) return true;
  return blocked.check(address, family === 4 ? 'ipv4' : 'ipv6');
}

/** Refuses, in production, a host whose addresses include a private one. */
export async function checkPublicHost(url: URL, env: Env): Promise<void> {
  if (env !== 'production') return;
  const host = url.hostname.replace(/^\[|\]$/g, '');
  const addresses = net.isIP(host)
    ? [host]
    : (await lookup(host, { all: true }).catch(() => [])).map((a) => a.address);
  if (addresses.length === 0 || addresses.some(isPrivateAddress)) {
    throw webhooksError('webhook_url_private_address', { param: 'url' });
  }
}

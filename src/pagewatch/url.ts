import { lookup } from 'node:dns/promises';
import net from 'node:net';
import { isPrivateAddress } from '../webhooks/index.ts';
import { pagewatchError } from './errors.ts';

// Page URLs and the addresses the monitor will connect to (SSRF, OWASP ASVS 5.0 V1.3). The
// monitor loads merchant-given URLs from Kinko's own network, so a URL must be https:// and
// its host must resolve only to public addresses: never private, loopback, link-local (the
// cloud metadata service at 169.254.169.254), reserved or IPv4-mapped ones. This is checked
// when a page is registered and again for every connection the browser makes, on the address
// actually dialled (fetch.ts), so a DNS answer that changes after registration gains nothing.
// Loopback (and plain http to it) is allowed only when KINKO_PAGEWATCH_ALLOW_LOOPBACK is set,
// which config.ts refuses in production: for local shops in development and tests.

const LOOPBACK_HOSTS = new Set(['127.0.0.1', 'localhost', '[::1]']);

export interface AddressPolicy {
  /** Allow loopback addresses and http:// to a loopback host (development and tests only). */
  allowLoopback: boolean;
}

/** The longest page URL stored, once percent-encoded. */
const PAGE_URL_CHARACTERS_MAX = 2048;

function isLoopback(address: string): boolean {
  return net.isIP(address) === 4 ? address.startsWith('127.') : address === '::1';
}

/** Whether the monitor may connect to this address under the policy. */
export function addressAllowed(address: string, policy: AddressPolicy): boolean {
  if (policy.allowLoopback && isLoopback(address)) return true;
  return !isPrivateAddress(address);
}

/** Whether a URL's scheme and form are ones the monitor loads (no DNS). */
export function urlAllowed(url: URL, policy: AddressPolicy): boolean {
  return (
    !url.username &&
    !url.password &&
    (url.protocol === 'https:' ||
      (policy.allowLoopback && url.protocol === 'http:' && LOOPBACK_HOSTS.has(url.hostname)))
  );
}

/** The parsed page URL, or page_url_invalid. */
export function checkPageUrl(text: string, policy: AddressPolicy): URL {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw pagewatchError('page_url_invalid', { param: 'url' });
  }
  if (!urlAllowed(url, policy) || url.hash || text.includes('#')) {
    throw pagewatchError('page_url_invalid', { param: 'url' });
  }
  if (url.href.length > PAGE_URL_CHARACTERS_MAX) {
    throw pagewatchError('page_url_invalid', {
      param: 'url',
      message: `The URL is longer than ${PAGE_URL_CHARACTERS_MAX} characters once encoded.`,
    });
  }
  return url;
}

/** Every address a host resolves to now; [] when it does not resolve. */
async function resolveHost(hostname: string): Promise<string[]> {
  const host = hostname.replace(/^\[|\]$/g, '');
  if (net.isIP(host)) return [host];
  return (await lookup(host, { all: true }).catch(() => [])).map((a) => a.address);
}

/** Refuses a host that does not resolve or resolves to any address the policy refuses. */
export async function checkPublicHost(url: URL, policy: AddressPolicy): Promise<void> {
  const addresses = await resolveHost(url.hostname);
  if (addresses.length === 0 || !addresses.every((a) => addressAllowed(a, policy))) {
    throw pagewatchError('page_url_private_address', { param: 'url' });
  }
}

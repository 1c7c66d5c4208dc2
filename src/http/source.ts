import type { FastifyRequest } from 'fastify';

// Where a request comes from. Behind a load balancer every request arrives from the
// balancer's address, so per-source throttles would put all customers (and operators) in
// one bucket; in front of none, believing X-Forwarded-For would let anyone pick their own
// address and step around every throttle. So the header is believed only from the peers
// listed in KINKO_TRUSTED_PROXIES, and the client is the rightmost address in the chain
// that is not one of them: entries to its left were written by the client and prove
// nothing. Fastify's trustProxy does exactly this walk (proxy-addr), so `req.ip` is that
// client everywhere, logs and audit included.
//
// Only X-Forwarded-For is read. RFC 7239 `Forwarded` is not: the balancers Kinko runs behind
// set X-Forwarded-For, and believing two headers would let a client's copy of one disagree
// with the balancer's copy of the other.

/** Fastify's trustProxy option for the trusted proxies: off when the list is empty. */
export function trustProxyOption(trustedProxies: readonly string[]): false | string[] {
  return trustedProxies.length === 0 ? false : [...trustedProxies];
}

/**
 * Where a request came from, for audit entries and per-source limits: the one type every
 * module takes. Calls that start outside HTTP (the CLI, background jobs) may have no request
 * id, and a few none of either.
 */
export interface Source {
  /** The client address: the peer, or from X-Forwarded-For when the peer is trusted. */
  ip: string;
  requestId?: string | undefined;
}

/** The one way every module reads a request's source. */
export function sourceOf(req: FastifyRequest): Source & { requestId: string } {
  return { ip: req.ip, requestId: req.id };
}

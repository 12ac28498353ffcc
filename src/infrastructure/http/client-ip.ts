import proxyAddr from '@fastify/proxy-addr';
import type { IncomingHttpHeaders, IncomingMessage } from 'node:http';

/** Whether `address`, `hop` hops back from this server (0: the peer), is a proxy whose X-Forwarded-For to believe. */
export type ProxyTrust = (address: string, hop: number) => boolean;

/**
 * TRUST_PROXY as one function, given to Fastify (request.ip) and used for Socket.IO handshakes, so that both
 * name the same client: false trusts nobody, true every hop, and a list its proxies by address or range,
 * compiled by the proxy-addr Fastify itself uses (as Fastify reads a list: comma-separated, trimmed).
 */
export function proxyTrust(trustProxy: boolean | string): ProxyTrust | false {
  if (trustProxy === false) return false;
  if (trustProxy === true) return () => true;
  return proxyAddr.compile(trustProxy.split(',').map((entry) => entry.trim()));
}

/**
 * The client's address of a connection from `peer` carrying `headers`, as Fastify's request.ip: without trust,
 * the peer; otherwise proxy-addr's walk back through X-Forwarded-For from the peer, to the first address that is
 * not a trusted proxy. An untrusted peer's X-Forwarded-For is never read, so a client cannot choose the address
 * its rate limits and audit rows carry.
 */
export function clientAddress(trust: ProxyTrust | false, peer: string, headers: IncomingHttpHeaders): string {
  if (!trust) return peer;
  // proxy-addr reads a request's headers and its socket's remoteAddress, nothing else.
  const request = { headers, socket: { remoteAddress: peer } } as unknown as IncomingMessage;
  const hops = proxyAddr.all(request, trust);
  return hops[hops.length - 1] ?? peer;
}

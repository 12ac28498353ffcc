import { describe, expect, it } from '@jest/globals';
import { clientAddress, proxyTrust } from './client-ip.js';

const xff = (value: string) => ({ 'x-forwarded-for': value });

describe('clientAddress (TRUST_PROXY for Socket.IO handshakes, as Fastify reads it for request.ip)', () => {
  it('trusts nobody by default: the peer, whatever X-Forwarded-For says', () => {
    expect(clientAddress(proxyTrust(false), '127.0.0.1', xff('203.0.113.66'))).toBe('127.0.0.1');
    expect(clientAddress(proxyTrust(false), '10.0.0.5', {})).toBe('10.0.0.5');
  });

  it('behind listed proxies, the nearest address that is not one of them; a forged entry further left is not read', () => {
    const trust = proxyTrust('10.0.0.5, 172.16.0.0/12');
    expect(clientAddress(trust, '10.0.0.5', xff('203.0.113.66, 198.51.100.7'))).toBe('198.51.100.7');
    // Two proxies in a row (an edge proxy in 172.16/12 before the one the server sees).
    expect(clientAddress(trust, '10.0.0.5', xff('203.0.113.66, 198.51.100.7, 172.20.1.1'))).toBe(
      '198.51.100.7',
    );
    // A peer that is not a listed proxy is the client, its header ignored.
    expect(clientAddress(trust, '198.51.100.9', xff('203.0.113.66'))).toBe('198.51.100.9');
    // No header from a proxy: the proxy itself.
    expect(clientAddress(trust, '10.0.0.5', {})).toBe('10.0.0.5');
  });

  it("takes proxy-addr's named ranges, and an IPv4 peer written as IPv6 (a dual-stack listener)", () => {
    expect(clientAddress(proxyTrust('loopback'), '::1', xff('198.51.100.7'))).toBe('198.51.100.7');
    expect(clientAddress(proxyTrust('uniquelocal'), '::ffff:10.1.2.3', xff('198.51.100.7'))).toBe(
      '198.51.100.7',
    );
  });

  it('TRUST_PROXY=true believes every hop: the left-most address', () => {
    expect(clientAddress(proxyTrust(true), '10.0.0.5', xff('203.0.113.66, 198.51.100.7'))).toBe(
      '203.0.113.66',
    );
  });
});

import { describe, expect, it } from '@jest/globals';
import { createHmac } from 'node:crypto';
import { Decoder, Encoder, type Packet } from 'socket.io-parser';
import { canonicalJson, PreparedMessage, signingString, verifyEnvelope } from './envelope.js';

describe('canonicalJson', () => {
  it('sorts keys at every depth, drops undefined members, keeps arrays in order', () => {
    expect(canonicalJson({ b: 1, a: { d: [3, { z: 1, y: 2 }], c: undefined }, é: 'x' })).toBe(
      '{"a":{"d":[3,{"y":2,"z":1}]},"b":1,"é":"x"}',
    );
  });

  it('encodes scalars as JSON does, dates as ISO strings', () => {
    expect(canonicalJson('a"b\n')).toBe('"a\\"b\\n"');
    expect(canonicalJson(null)).toBe('null');
    expect(canonicalJson([undefined, 1.5])).toBe('[null,1.5]');
    expect(canonicalJson(new Date(0))).toBe('"1970-01-01T00:00:00.000Z"');
  });

  it('does not depend on key insertion order', () => {
    expect(canonicalJson({ x: 1, y: 2 })).toBe(canonicalJson({ y: 2, x: 1 }));
  });
});

describe('signed envelope', () => {
  const key = Buffer.alloc(32, 7);

  it('signs type, timestamp and canonical data with HMAC-SHA256 under the session key', () => {
    const msg = new PreparedMessage('player_update', { b: 2, a: 1 }, '2102-01-01T00:00:00.000Z');
    const env = msg.envelopeFor('session-1', key);
    const expected = createHmac('sha256', key)
      .update('player_update\n2102-01-01T00:00:00.000Z\n{"a":1,"b":2}')
      .digest('hex');
    expect(env).toEqual({
      type: 'player_update',
      data: { b: 2, a: 1 },
      timestamp: '2102-01-01T00:00:00.000Z',
      session_id: 'session-1',
      signature: expected,
    });
    expect(signingString('t', 'ts', '{}')).toBe('t\nts\n{}');
  });

  it('verifies after a JSON round trip and rejects tampering or another key', () => {
    const env = new PreparedMessage('x', { n: 1, s: 'é' }).envelopeFor('s', key);
    const wire = JSON.parse(JSON.stringify(env));
    expect(verifyEnvelope(wire, key)).toBe(true);
    expect(verifyEnvelope({ ...wire, data: { n: 2, s: 'é' } }, key)).toBe(false);
    expect(verifyEnvelope({ ...wire, type: 'y' }, key)).toBe(false);
    expect(verifyEnvelope(wire, Buffer.alloc(32, 8))).toBe(false);
    expect(verifyEnvelope({ ...wire, signature: 'zz' }, key)).toBe(false);
  });

  it('builds the Socket.IO packet that socket.io-parser would encode for the envelope, in any namespace', () => {
    const decode = (wire: string): Packet => {
      const decoder = new Decoder();
      let packet: Packet | undefined;
      decoder.on('decoded', (p: Packet) => (packet = p));
      decoder.add(wire);
      return packet!;
    };
    const data = { stock: 5, station_id: 'st-1', price: 1.25, note: 'a "quoted"\nline é', gone: undefined };
    const msg = new PreparedMessage('market_update', data, '2102-01-01T00:00:00.000Z');
    for (const nsp of ['/market', '/']) {
      const ours = decode(msg.packetFor(nsp, 'session-1', key));
      const [theirs] = new Encoder().encode({
        type: 2,
        nsp,
        data: ['market_update', msg.envelopeFor('session-1', key)],
      });
      expect(ours).toEqual(decode(theirs as string));
      expect(ours.nsp).toBe(nsp);
      const [, envelope] = ours.data as [string, Parameters<typeof verifyEnvelope>[0]];
      expect(verifyEnvelope(envelope, key)).toBe(true);
      expect(verifyEnvelope(envelope, Buffer.alloc(32, 8))).toBe(false);
    }
  });
});

import { describe, expect, it } from '@jest/globals';
import { isValidIdempotencyKey, requestHash } from './idempotency.js';
import type { TradeRequest } from './trade-rules.js';

const base: TradeRequest = {
  stationId: '6f1c1f4e-0a7b-4c43-9a39-1f0f6f3b5a10',
  commodity: 'ore',
  action: 'buy',
  quantity: 5,
  limitPrice: 20,
};

describe('idempotency', () => {
  it('hashes the same request the same way, whatever the uuid case', () => {
    expect(requestHash(base)).toBe(requestHash({ ...base, stationId: base.stationId.toUpperCase() }));
  });

  it('any field change changes the hash', () => {
    const h = requestHash(base);
    for (const change of [
      { quantity: 6 },
      { limitPrice: 21 },
      { limitPrice: undefined },
      { action: 'sell' as const },
      { commodity: 'fuel' as const },
    ]) {
      expect(requestHash({ ...base, ...change })).not.toBe(h);
    }
  });

  it('accepts 1-128 characters of [A-Za-z0-9_-.:] only', () => {
    expect(isValidIdempotencyKey('a')).toBe(true);
    expect(isValidIdempotencyKey('trade:2026-01-01_x.1')).toBe(true);
    expect(isValidIdempotencyKey('x'.repeat(128))).toBe(true);
    for (const bad of ['', 'x'.repeat(129), 'with space', 'é', undefined, 5]) {
      expect(isValidIdempotencyKey(bad)).toBe(false);
    }
  });
});

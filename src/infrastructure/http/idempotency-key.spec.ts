import { describe, expect, it } from '@jest/globals';
import { isValidIdempotencyKey, requestFingerprint, type RequestShape } from './idempotency-key.js';

const base: RequestShape = {
  method: 'POST',
  route: '/api/v1/admin/players/:id/emergency/emergency_credits',
  params: { id: '0b7c6e1e-8f5a-4b8e-9a51-6a0f1d2c3b4a' },
  body: { reason: 'compensation', amount: 5, nested: { b: 1, a: [1, 2] } },
};

describe('requestFingerprint', () => {
  it('is a SHA-256 that ignores key order at every depth and the case of path parameters', () => {
    const h = requestFingerprint(base);
    expect(h).toMatch(/^[0-9a-f]{64}$/);
    expect(
      requestFingerprint({
        ...base,
        method: 'post',
        params: { id: base.params.id!.toUpperCase() },
        body: { nested: { a: [1, 2], b: 1 }, amount: 5, reason: 'compensation' },
      }),
    ).toBe(h);
  });

  it('differs with the route, a parameter, the body, array order or If-Match', () => {
    const h = requestFingerprint(base);
    for (const other of [
      { ...base, route: '/api/v1/admin/players/:id/emergency/freeze' },
      { ...base, method: 'PUT' },
      { ...base, params: { id: '1b7c6e1e-8f5a-4b8e-9a51-6a0f1d2c3b4a' } },
      { ...base, body: { ...(base.body as object), amount: 6 } },
      { ...base, body: { ...(base.body as object), nested: { b: 1, a: [2, 1] } } },
      { ...base, ifMatch: '3' },
    ])
      expect(requestFingerprint(other)).not.toBe(h);
  });
});

describe('isValidIdempotencyKey', () => {
  it('takes 1-128 of A-Z a-z 0-9 _ - . : and nothing else', () => {
    expect(isValidIdempotencyKey('retry:2026-12-02_a.1')).toBe(true);
    expect(isValidIdempotencyKey('x'.repeat(128))).toBe(true);
    for (const bad of ['', 'x'.repeat(129), 'has space', 'semi;colon', 'ü', ['a'], undefined])
      expect(isValidIdempotencyKey(bad)).toBe(false);
  });
});

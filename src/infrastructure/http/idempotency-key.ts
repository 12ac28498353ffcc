import { createHash } from 'node:crypto';
import { canonicalJson } from '../websocket/envelope.js';

/** An Idempotency-Key (REST header or Socket.IO idempotency_key): 1-128 of A-Z a-z 0-9 _ - . : */
export const KEY_PATTERN = /^[A-Za-z0-9_\-.:]{1,128}$/;

export function isValidIdempotencyKey(key: unknown): key is string {
  return typeof key === 'string' && KEY_PATTERN.test(key);
}

/** A write's Idempotency-Key and the fingerprint of the request it was sent with. */
export interface IdempotencyRequest {
  key: string;
  requestHash: string;
}

/** What makes two requests the same request: the route they hit (not the URL's spelling) and what they carry. */
export interface RequestShape {
  method: string;
  route: string;
  params: Record<string, string>;
  body: unknown;
  ifMatch?: string;
}

/**
 * SHA-256 (hex) of the request in canonical form: object keys sorted at every depth, path parameters
 * lower-cased (ids are case-insensitive), so a retry whose client serialises its body in another key order is
 * still the same request. If-Match is part of it: it decides which version a write applies to.
 */
export function requestFingerprint(r: RequestShape): string {
  const params = Object.fromEntries(Object.entries(r.params).map(([k, v]) => [k, v.toLowerCase()]));
  const canonical = canonicalJson([
    r.method.toUpperCase(),
    r.route,
    params,
    r.body ?? null,
    r.ifMatch ?? null,
  ]);
  return createHash('sha256').update(canonical).digest('hex');
}

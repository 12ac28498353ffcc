import { createHash } from 'node:crypto';
import type { TradeRequest } from './trade-rules.js';

/** An Idempotency-Key (REST header or Socket.IO idempotency_key): 1-128 of A-Z a-z 0-9 _ - . : */
export const KEY_PATTERN = /^[A-Za-z0-9_\-.:]{1,128}$/;

export function isValidIdempotencyKey(key: unknown): key is string {
  return typeof key === 'string' && KEY_PATTERN.test(key);
}

/** Keys of this prefix belong to automation rules (`automation:<rule id>`): a player's request may not use one. */
export const RESERVED_KEY_PREFIX = 'automation:';

export function isReservedIdempotencyKey(key: string): boolean {
  return key.toLowerCase().startsWith(RESERVED_KEY_PREFIX);
}

/**
 * The fingerprint a replay is compared with: the request's fields in a fixed order, so the same body
 * in any key order or transport (REST or Socket.IO) hashes the same.
 */
export function requestHash(req: TradeRequest): string {
  const canonical = JSON.stringify([
    req.stationId.toLowerCase(),
    req.commodity,
    req.action,
    req.quantity,
    req.limitPrice ?? null,
  ]);
  return createHash('sha256').update(canonical).digest('hex');
}

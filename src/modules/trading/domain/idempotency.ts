import { createHash } from 'node:crypto';
import type { TradeRequest } from './trade-rules.js';

// One key syntax for trades and admin writes.
export { isValidIdempotencyKey, KEY_PATTERN } from '../../../infrastructure/http/idempotency-key.js';

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

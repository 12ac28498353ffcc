import { AppError } from '../../../infrastructure/errors/app-error.js';

/**
 * What a rule's failed trade means for the rule:
 *  - 'fail': the player's side cannot do it (credits, cargo, not at the station, ...): the rule ends `failed`
 *    with the code, and the player is told;
 *  - 'release': the market moved between the check and the trade (price, stock, room, treasury, a halt, the
 *    player's standing): the rule stays active, and the next market change checks it again;
 *  - 'later': the system could not take it now (rate limit, contention, an outage, anything unexpected): the
 *    rule stays active and waits `delaySeconds` before it is tried again.
 */
export type RuleOutcome =
  | { kind: 'fail'; code: string; detail: string }
  | { kind: 'release' }
  | { kind: 'later'; delaySeconds: number };

/** Refusals that a later state of the market can undo; the trigger query rechecks each before a retry. */
const MARKET_MOVED = new Set([
  'TRADING.PRICE_LIMIT',
  'TRADING.INSUFFICIENT_STOCK',
  'TRADING.STATION_FULL',
  'TRADING.INSUFFICIENT_TREASURY',
  'TRADING.MARKET_HALTED',
  'TRADING.PLAYER_NOT_ACTIVE',
]);

/** A pause after a system-side refusal, so a rule never retries in a tight loop. */
export const RETRY_LATER_SECONDS = 5;

export function outcomeOf(err: unknown): RuleOutcome {
  if (!(err instanceof AppError)) return { kind: 'later', delaySeconds: RETRY_LATER_SECONDS };
  if (MARKET_MOVED.has(err.code)) return { kind: 'release' };
  if (err.status === 429) {
    const hinted = Number(err.details?.retry_after_seconds);
    return { kind: 'later', delaySeconds: Number.isFinite(hinted) && hinted > 0 ? Math.ceil(hinted) : 1 };
  }
  if (err.status >= 400 && err.status < 500) return { kind: 'fail', code: err.code, detail: err.message };
  return { kind: 'later', delaySeconds: RETRY_LATER_SECONDS };
}

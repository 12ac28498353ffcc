import { describe, expect, it } from '@jest/globals';
import { AppError } from '../../../infrastructure/errors/app-error.js';
import { databaseFailure } from '../../../infrastructure/database/database-errors.js';
import { rateLimited } from '../../../infrastructure/throttling/throttling.js';
import { TradingErrors } from '../domain/trading.errors.js';
import { outcomeOf, RETRY_LATER_SECONDS } from './automation-outcome.js';

describe('outcomeOf (what a rule does after its trade was refused)', () => {
  it('ends the rule for what only the player can change, with the code and detail', () => {
    for (const err of [
      TradingErrors.insufficientCredits('500', '10'),
      TradingErrors.insufficientCargoSpace(10, 2),
      TradingErrors.insufficientCargo('ore', 10, 2),
      TradingErrors.notInSector(4, 1),
      TradingErrors.noActiveShip(),
      TradingErrors.notTraded('buy', 'ore'),
      TradingErrors.idempotencyKeyReused(),
      new AppError('VALIDATION_FAILED', 400, 'quantity must be between 1 and 10'),
    ]) {
      expect(outcomeOf(err)).toEqual({ kind: 'fail', code: err.code, detail: err.message });
    }
  });

  it('keeps the rule active when the market moved or the player is held (the trigger rechecks both)', () => {
    for (const err of [
      TradingErrors.priceLimit('buy', 30, 20),
      TradingErrors.insufficientStock(10, 2),
      TradingErrors.stationFull(10, 2),
      TradingErrors.insufficientTreasury('1000'),
      TradingErrors.marketHalted('*', 'maintenance'),
      TradingErrors.playerNotActive('frozen'),
    ]) {
      expect(outcomeOf(err)).toEqual({ kind: 'release' });
    }
  });

  it('waits before retrying what the system refused: the rate limit for its hint, the rest a fixed pause', () => {
    expect(outcomeOf(rateLimited(3))).toEqual({ kind: 'later', delaySeconds: 3 });
    expect(outcomeOf(TradingErrors.contended())).toEqual({
      kind: 'later',
      delaySeconds: RETRY_LATER_SECONDS,
    });
    expect(outcomeOf(databaseFailure(new Error('Connection terminated unexpectedly'))!)).toEqual({
      kind: 'later',
      delaySeconds: RETRY_LATER_SECONDS,
    });
    expect(outcomeOf(new TypeError('boom'))).toEqual({ kind: 'later', delaySeconds: RETRY_LATER_SECONDS });
  });
});

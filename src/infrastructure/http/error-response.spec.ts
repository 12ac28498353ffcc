import { describe, expect, it } from '@jest/globals';
import { HttpException } from '@nestjs/common';
import { AuditErrors } from '../../modules/audit/domain/audit.errors.js';
import { TradingErrors } from '../../modules/trading/domain/trading.errors.js';
import { AppError } from '../errors/app-error.js';
import { CommonErrors } from '../errors/common.errors.js';
import { PresenceErrors } from '../presence/presence.errors.js';
import { isExpectedUnavailability, toErrorResponse } from './error-response.js';

describe('toErrorResponse: how each error it answers is logged', () => {
  it('a 503 AppError is an expected unavailability, handed over as such, never a stack', () => {
    for (const err of [
      PresenceErrors.unavailable(new Error('Connection is closed.')),
      AuditErrors.verifyBusy(5),
      TradingErrors.contended(),
      CommonErrors.unavailable('away'),
      new AppError('ANALYTICS.UNAVAILABLE', 503, 'Initial metrics are unavailable'),
    ]) {
      const response = toErrorResponse(err);
      expect(response).toMatchObject({ status: 503, log: 'unavailable', unavailable: err });
      expect(response.body.error).toBe(err.code);
      expect(isExpectedUnavailability(err)).toBe(true);
    }
  });

  it('a database outage is refused; a failed readiness probe and client errors are not logged', () => {
    const outage = Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:5432'), { code: 'ECONNREFUSED' });
    expect(toErrorResponse(outage)).toMatchObject({ status: 503, log: 'refused' });
    expect(toErrorResponse(outage).unavailable).toBeUndefined();
    expect(isExpectedUnavailability(outage)).toBe(true);
    expect(toErrorResponse(new AppError('HEALTH.NOT_READY', 503, 'not ready')).log).toBe('none');
    expect(toErrorResponse(AuditErrors.verifyRateLimited(3)).log).toBe('none');
  });

  it('any other 5xx keeps its stack: an AppError 500, an HttpException 5xx, anything unknown', () => {
    for (const err of [CommonErrors.internal(), new HttpException('bad gateway', 502), new Error('bug')]) {
      const response = toErrorResponse(err);
      expect(response.log).toBe('stack');
      expect(response.unavailable).toBeUndefined();
      expect(isExpectedUnavailability(err)).toBe(false);
    }
  });
});

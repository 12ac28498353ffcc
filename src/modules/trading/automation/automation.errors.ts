import { AppError } from '../../../infrastructure/errors/app-error.js';

/** Stable codes of automation rules (the trade's own codes come from TradingErrors). */
export const AutomationErrors = {
  ruleNotFound: () => new AppError('AUTOMATION.RULE_NOT_FOUND', 404, 'Automation rule not found'),
  ruleLimit: (limit: number) =>
    new AppError(
      'AUTOMATION.RULE_LIMIT',
      409,
      `You already have ${limit} active automation rules; cancel one first`,
      { limit },
    ),
  notActive: (status: string) =>
    new AppError('AUTOMATION.RULE_NOT_ACTIVE', 409, `The rule is ${status}, not active`, { status }),
  /**
   * The rule's trade is running right now (known within a second or two), or its executor died mid-trade and its
   * claim stands until it expires: `retry_after_seconds` says which.
   */
  busy: (retryAfterSeconds = 1) =>
    new AppError('AUTOMATION.RULE_BUSY', 409, 'The rule is executing right now; read it again shortly', {
      retry_after_seconds: retryAfterSeconds,
    }),
};

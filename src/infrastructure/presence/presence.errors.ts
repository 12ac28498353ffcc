import { AppError } from '../errors/app-error.js';
import { REDIS_RETRY_AFTER_FAILURE_MS } from '../redis/redis-availability.js';

export const PRESENCE_UNAVAILABLE = 'PRESENCE.UNAVAILABLE';

export const PresenceErrors = {
  /**
   * Redis (where presence lives) is away: who is online is unknown. Reads that only decorate (a page's `online`
   * flags, a count) show null instead; a read that filters by it cannot answer and says when to retry.
   * `cause`: the Redis failure, for the log.
   */
  unavailable: (cause?: unknown) =>
    new AppError(
      PRESENCE_UNAVAILABLE,
      503,
      'Who is online is unknown while Redis is unavailable',
      { retry_after_seconds: REDIS_RETRY_AFTER_FAILURE_MS / 1000 },
      { cause },
    ),
};

/** Presence could not be read or written because Redis is away (PresenceErrors.unavailable). */
export function isPresenceUnavailable(err: unknown): boolean {
  return err instanceof AppError && err.code === PRESENCE_UNAVAILABLE;
}

/**
 * A presence read that only decorates an answer: null (unknown) while presence is unavailable, so that the
 * console's reads still answer during a Redis outage. Any other failure passes through.
 */
export function orUnknown<T>(read: Promise<T>): Promise<T | null> {
  return read.catch((err: unknown) => {
    if (isPresenceUnavailable(err)) return null;
    throw err;
  });
}

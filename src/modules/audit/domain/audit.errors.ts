import { AppError } from '../../../infrastructure/errors/app-error.js';

/** A refused walk says when to come back: in the body and, through the HTTP filter, as Retry-After. */
const retryLater = (code: string, status: number, detail: string, retryAfterSeconds: number) =>
  new AppError(code, status, detail, { retry_after_seconds: retryAfterSeconds });

export const AuditErrors = {
  verifyRateLimited: (retryAfterSeconds: number) =>
    retryLater(
      'AUDIT.VERIFY_RATE_LIMITED',
      429,
      `Too many chain verifications, retry in ${retryAfterSeconds} s`,
      retryAfterSeconds,
    ),
  verifyInProgress: (retryAfterSeconds: number) =>
    retryLater(
      'AUDIT.VERIFY_IN_PROGRESS',
      429,
      'Your earlier chain verification is still running on this node; wait for its answer',
      retryAfterSeconds,
    ),
  verifyBusy: (retryAfterSeconds: number) =>
    retryLater(
      'AUDIT.VERIFY_BUSY',
      503,
      'This node is running as many chain verifications as it allows; retry shortly',
      retryAfterSeconds,
    ),
  /** Nobody reads it (the client is gone): it ends the request, and the access log records 499. */
  verifyAbandoned: () =>
    new AppError('AUDIT.VERIFY_ABANDONED', 499, 'The client disconnected; the walk was stopped'),
};

import { AppError } from './app-error.js';

export const CommonErrors = {
  validation: (detail: string, fields?: Record<string, string[]>) =>
    new AppError('VALIDATION_FAILED', 400, detail, fields ? { fields } : undefined),
  unauthorized: (detail = 'Authentication required') => new AppError('AUTH.UNAUTHORIZED', 401, detail),
  forbidden: (detail = 'You do not have permission for this action') =>
    new AppError('AUTH.FORBIDDEN', 403, detail),
  notFound: (what: string) => new AppError('NOT_FOUND', 404, `${what} not found`),
  conflict: (code: string, detail: string) => new AppError(code, 409, detail),
  rateLimited: (detail = 'Too many requests, slow down') => new AppError('RATE_LIMITED', 429, detail),
  internal: () => new AppError('INTERNAL_ERROR', 500, 'An unexpected error occurred'),
  unavailable: (detail: string) => new AppError('SERVICE_UNAVAILABLE', 503, detail),
  idempotencyKeyInvalid: () =>
    new AppError(
      'IDEMPOTENCY_KEY_INVALID',
      400,
      'Idempotency-Key must be 1-128 characters of letters, digits and - _ . :',
    ),
  idempotencyKeyReused: () =>
    new AppError(
      'IDEMPOTENCY_KEY_REUSED',
      422,
      'This Idempotency-Key was already used for a different request',
    ),
  idempotencyKeyInProgress: (retryAfterSeconds: number) =>
    new AppError(
      'IDEMPOTENCY_KEY_IN_PROGRESS',
      409,
      'A request with this Idempotency-Key is still running; send it again later for its answer',
      { retry_after_seconds: retryAfterSeconds },
    ),
};

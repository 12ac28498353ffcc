/**
 * The one error type below controllers. `code` is a stable, documented identifier clients may branch on;
 * `status` is the HTTP status the filters map it to (Socket.IO acks carry the code only). `options.cause`: what
 * made a 503 happen (a Redis error, say), for the log only; the client never sees it.
 */
export class AppError extends Error {
  constructor(
    readonly code: string,
    readonly status: number,
    message: string,
    readonly details?: Record<string, unknown>,
    options?: ErrorOptions,
  ) {
    super(message, options);
    this.name = 'AppError';
  }
}

/** Builds a factory per error so modules declare their codes in one place (`*.errors.ts`). */
export const defineError =
  <A extends unknown[]>(code: string, status: number, message: (...args: A) => string) =>
  (...args: A): AppError =>
    new AppError(code, status, message(...args));

import { AppError } from '../errors/app-error.js';
import { AuthErrors } from '../../modules/auth/domain/auth.errors.js';

/** Socket.IO-specific error codes (sent as the `error` event {code, detail} or in an ack). */
export const WsErrors = {
  unknownEvent: (event: string) =>
    new AppError('WS.UNKNOWN_EVENT', 400, `This namespace does not handle "${event.slice(0, 64)}" messages`),
  rateLimited: (retryAfterSeconds: number) =>
    new AppError('RATE_LIMITED', 429, `Too many messages, retry in ${retryAfterSeconds} s`, {
      retry_after_seconds: retryAfterSeconds,
    }),
  handshakesLimited: (retryAfterSeconds: number) =>
    new AppError('RATE_LIMITED', 429, `Too many connection attempts, retry in ${retryAfterSeconds} s`, {
      retry_after_seconds: retryAfterSeconds,
    }),
  abuse: () =>
    new AppError('WS.ABUSE_DISCONNECT', 429, 'Disconnected for repeatedly exceeding the message rate limit'),
  tokenExpired: () => AuthErrors.tokenExpired(),
  handshakeFailed: () => new AppError('INTERNAL_ERROR', 500, 'The connection could not be authenticated'),
  /** Also the reason of the denied attempt's audit row: says who asked and what the namespace needs. */
  forbiddenNamespace: (namespace: string, role: string, needs: string) =>
    new AppError(
      'AUTH.FORBIDDEN',
      403,
      `Your role (${role}) may not connect to ${namespace}: it needs ${needs}`,
    ),
};

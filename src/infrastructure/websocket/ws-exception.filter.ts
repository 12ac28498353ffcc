import { type ArgumentsHost, Catch, type ExceptionFilter, Injectable, Logger } from '@nestjs/common';
import type { Socket } from 'socket.io';
import { AppError } from '../errors/app-error.js';
import { DatabaseAvailability } from '../database/database-availability.js';
import { CommonErrors } from '../errors/common.errors.js';
import { UnavailableResponses } from '../errors/unavailable-responses.js';
import { toErrorResponse } from '../http/error-response.js';
import { RealtimeHub } from './realtime-hub.service.js';

/**
 * Bound on every gateway (@UseFilters): an AppError becomes the signed `error` event {code, detail, ...}
 * and, when the message had an ack, the ack's answer too. Anything else is logged and reported as
 * INTERNAL_ERROR. Logged as over HTTP (toErrorResponse decides how): a database outage is answered
 * DATABASE_UNAVAILABLE, DATABASE_BUSY, DATABASE_TIMEOUT, DATABASE_READ_ONLY or DATABASE_DISK_FULL and told by
 * DatabaseAvailability (an outage once each way, the others at most once a minute); another 503
 * (PRESENCE.UNAVAILABLE, ...) by UnavailableResponses, at most once a minute per code; any other 5xx at error
 * with its stack. The socket stays up.
 */
@Catch()
@Injectable()
export class WsExceptionFilter implements ExceptionFilter {
  private readonly logger = new Logger('WsExceptionFilter');

  constructor(
    private readonly hub: RealtimeHub,
    private readonly database: DatabaseAvailability,
    private readonly unavailable: UnavailableResponses,
  ) {}

  catch(exception: unknown, host: ArgumentsHost): void {
    if (host.getType() !== 'ws') throw exception;
    const socket = host.switchToWs().getClient<Socket>();
    const { log, refusal, unavailable } = toErrorResponse(exception);
    const error = exception instanceof AppError ? exception : (refusal ?? CommonErrors.internal());
    const event: unknown = host.switchToWs().getPattern();
    const where = {
      transport: 'socket' as const,
      namespace: socket.nsp?.name,
      event: typeof event === 'string' ? event : undefined,
    };
    if (refusal) {
      this.database.refused(refusal, exception, where);
    } else if (unavailable) {
      this.unavailable.tell(unavailable, where);
    } else if (error !== exception) {
      this.logger.error(
        { err: exception, namespace: where.namespace },
        'Unhandled error in a socket handler',
      );
    } else if (log === 'stack') {
      this.logger.error({ err: exception, ...where }, `Socket message failed with ${error.code}`);
    }
    try {
      const ack = host.getArgs().find((arg, i) => i > 0 && typeof arg === 'function') as
        ((response: unknown) => void) | undefined;
      if (ack) this.hub.answerError(socket, ack, error);
      this.hub.sendError(socket, error);
    } catch (err) {
      this.logger.warn({ err }, 'Could not report a socket error');
    }
  }
}

import { type ArgumentsHost, Catch, type ExceptionFilter, Injectable, Logger } from '@nestjs/common';
import type { Socket } from 'socket.io';
import { AppError } from '../errors/app-error.js';
import { DatabaseAvailability } from '../database/database-availability.js';
import { databaseFailure } from '../database/database-errors.js';
import { CommonErrors } from '../errors/common.errors.js';
import { RealtimeHub } from './realtime-hub.service.js';

/**
 * Bound on every gateway (@UseFilters): an AppError becomes the signed `error` event {code, detail, ...}
 * and, when the message had an ack, the ack's answer too. Anything else is logged and reported as
 * INTERNAL_ERROR; a database outage is answered DATABASE_UNAVAILABLE or DATABASE_BUSY and told by
 * DatabaseAvailability, once per outage, as over HTTP. The socket stays up.
 */
@Catch()
@Injectable()
export class WsExceptionFilter implements ExceptionFilter {
  private readonly logger = new Logger('WsExceptionFilter');

  constructor(
    private readonly hub: RealtimeHub,
    private readonly database: DatabaseAvailability,
  ) {}

  catch(exception: unknown, host: ArgumentsHost): void {
    if (host.getType() !== 'ws') throw exception;
    const socket = host.switchToWs().getClient<Socket>();
    const refusal = exception instanceof AppError ? undefined : databaseFailure(exception);
    const error = exception instanceof AppError ? exception : (refusal ?? CommonErrors.internal());
    if (refusal) {
      const event: unknown = host.switchToWs().getPattern();
      this.database.refused(refusal, exception, {
        transport: 'socket',
        namespace: socket.nsp?.name,
        event: typeof event === 'string' ? event : undefined,
      });
    } else if (error !== exception) {
      this.logger.error(
        { err: exception, namespace: socket.nsp?.name },
        'Unhandled error in a socket handler',
      );
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

import { type ArgumentsHost, Catch, type ExceptionFilter, Injectable, Logger } from '@nestjs/common';
import type { Socket } from 'socket.io';
import { AppError } from '../errors/app-error.js';
import { CommonErrors } from '../errors/common.errors.js';
import { RealtimeHub } from './realtime-hub.service.js';

/**
 * Bound on every gateway (@UseFilters): an AppError becomes the signed `error` event {code, detail, ...}
 * and, when the message had an ack, the ack's answer too. Anything else is logged and reported as
 * INTERNAL_ERROR; the socket stays up.
 */
@Catch()
@Injectable()
export class WsExceptionFilter implements ExceptionFilter {
  private readonly logger = new Logger('WsExceptionFilter');

  constructor(private readonly hub: RealtimeHub) {}

  catch(exception: unknown, host: ArgumentsHost): void {
    if (host.getType() !== 'ws') throw exception;
    const socket = host.switchToWs().getClient<Socket>();
    let error: AppError;
    if (exception instanceof AppError) error = exception;
    else {
      this.logger.error(
        { err: exception, namespace: socket.nsp?.name },
        'Unhandled error in a socket handler',
      );
      error = CommonErrors.internal();
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

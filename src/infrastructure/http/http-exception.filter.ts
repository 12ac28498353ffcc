import { type ArgumentsHost, Catch, type ExceptionFilter, Injectable, Logger } from '@nestjs/common';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { DatabaseAvailability } from '../database/database-availability.js';
import { UnavailableResponses } from '../errors/unavailable-responses.js';
import { toErrorResponse } from './error-response.js';

@Catch()
@Injectable()
export class HttpExceptionFilter implements ExceptionFilter {
  private readonly logger = new Logger('HttpExceptionFilter');

  constructor(
    private readonly database: DatabaseAvailability,
    private readonly unavailable: UnavailableResponses,
  ) {}

  catch(exception: unknown, host: ArgumentsHost): void {
    if (host.getType() !== 'http') throw exception;
    const http = host.switchToHttp();
    const reply = http.getResponse<FastifyReply>();
    const request = http.getRequest<FastifyRequest>();
    const { status, body, log, refusal, unavailable } = toErrorResponse(exception);
    const context = { reqId: request.id, route: request.routeOptions?.url };
    if (refusal) {
      this.database.refused(refusal, exception, { transport: 'http', ...context });
    } else if (unavailable) {
      this.unavailable.tell(unavailable, { transport: 'http', ...context });
    } else if (log === 'stack') {
      this.logger.error(
        { err: exception, ...context },
        body.error === 'INTERNAL_ERROR'
          ? 'Unhandled error while serving request'
          : `Request failed with ${body.error}`,
      );
    }
    // 429s and 503s say when to come back, in the body and as the standard header.
    if (typeof body.retry_after_seconds === 'number')
      void reply.header('retry-after', String(body.retry_after_seconds));
    void reply.status(status).header('content-type', 'application/json; charset=utf-8').send(body);
  }
}

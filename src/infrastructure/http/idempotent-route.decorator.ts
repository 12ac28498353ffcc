import {
  applyDecorators,
  type CallHandler,
  createParamDecorator,
  type ExecutionContext,
  Injectable,
  type NestInterceptor,
  UseInterceptors,
} from '@nestjs/common';
import { ApiHeader, ApiResponse } from '@nestjs/swagger';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { map, type Observable } from 'rxjs';
import type { Idempotent } from '../database/idempotent-transaction.js';
import { CommonErrors } from '../errors/common.errors.js';
import { ERROR_BODY_SCHEMA } from './api-errors.decorator.js';
import { isValidIdempotencyKey, requestFingerprint, type IdempotencyRequest } from './idempotency-key.js';

/**
 * The optional Idempotency-Key header with the request's fingerprint (method, route, path parameters, body,
 * If-Match); undefined without the header, 400 IDEMPOTENCY_KEY_INVALID when it is malformed.
 */
export const IdempotencyKey = createParamDecorator(
  (_: unknown, ctx: ExecutionContext): IdempotencyRequest | undefined => {
    const req = ctx.switchToHttp().getRequest<FastifyRequest>();
    const key = req.headers['idempotency-key'];
    if (key === undefined) return undefined;
    if (!isValidIdempotencyKey(key)) throw CommonErrors.idempotencyKeyInvalid();
    const ifMatch = req.headers['if-match'];
    return {
      key,
      requestHash: requestFingerprint({
        method: req.method,
        route: req.routeOptions.url ?? req.url,
        params: (req.params ?? {}) as Record<string, string>,
        body: req.body,
        ifMatch: typeof ifMatch === 'string' ? ifMatch : undefined,
      }),
    };
  },
);

/** Unwraps a command's Idempotent<T> into the response body, marking a replay with Idempotent-Replayed: true. */
@Injectable()
class ReplayHeaderInterceptor implements NestInterceptor {
  intercept(context: ExecutionContext, next: CallHandler): Observable<unknown> {
    const reply = context.switchToHttp().getResponse<FastifyReply>();
    return next.handle().pipe(
      map((outcome: Idempotent<unknown>) => {
        if (outcome.replayed) void reply.header('idempotent-replayed', 'true');
        return outcome.result;
      }),
    );
  }
}

const KEY_SYNTAX = '1-128 of [A-Za-z0-9_-.:], per admin, kept at least 24 h. ';

/** What the header does on a write of one transaction (inIdempotentTransaction). */
const ONE_TRANSACTION =
  KEY_SYNTAX +
  'The same key and request after it committed: the first response again with header Idempotent-Replayed: ' +
  'true, nothing run; a copy sent meanwhile waits for the first. A refused request keeps no key. Malformed: ' +
  '400 IDEMPOTENCY_KEY_INVALID.';

/** What it does on a write of one transaction per item (IdempotentRun). */
export const ONE_TRANSACTION_PER_ITEM =
  KEY_SYNTAX +
  'Exactly once per item: each outcome is recorded with its change. The same key and request after the run ' +
  'finished: the first response again with header Idempotent-Replayed: true, nothing run; while it runs: 409 ' +
  'IDEMPOTENCY_KEY_IN_PROGRESS with Retry-After; after its node died (no heartbeat for BULK_LEASE_MS): the run ' +
  'resumes, items already done answered from their outcomes, only the rest run. Malformed: 400 ' +
  'IDEMPOTENCY_KEY_INVALID.';

/**
 * A write that takes an optional Idempotency-Key: the handler returns Idempotent<T> (see
 * inIdempotentTransaction, IdempotentRun) and the route answers T. Documents the header, the replay and the 422;
 * a route built on IdempotentRun passes ONE_TRANSACTION_PER_ITEM and documents its 409.
 */
export function IdempotentRoute(headerDescription = ONE_TRANSACTION) {
  return applyDecorators(
    UseInterceptors(ReplayHeaderInterceptor),
    ApiHeader({ name: 'Idempotency-Key', required: false, description: headerDescription }),
    ApiResponse({
      status: 422,
      description: 'IDEMPOTENCY_KEY_REUSED: this key was used for another request',
      schema: ERROR_BODY_SCHEMA,
    }),
  );
}

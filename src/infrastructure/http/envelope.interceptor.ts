import { type CallHandler, type ExecutionContext, Injectable, type NestInterceptor } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { Observable } from 'rxjs';
import { RAW_RESPONSE } from './raw-response.decorator.js';
import { RequestContext } from './request-context.js';

export interface Envelope<T> {
  success: true;
  data: T;
  metrics: { query_time_ms: number; cache_hit: boolean };
  timestamp: string;
}

/**
 * Wraps every REST success in the DESIGN.md envelope. query_time_ms is the time the handler's statements were
 * running on the database (timed by TimedPgClient, without the wait for a pooled connection), or the
 * handler's whole time when it ran none (a cache answered).
 */
@Injectable()
export class EnvelopeInterceptor implements NestInterceptor {
  constructor(private readonly reflector: Reflector) {}

  intercept(context: ExecutionContext, next: CallHandler): Observable<unknown> {
    if (context.getType() !== 'http') return next.handle();
    if (this.reflector.getAllAndOverride<boolean>(RAW_RESPONSE, [context.getHandler(), context.getClass()])) {
      return next.handle();
    }
    const started = performance.now();
    return new Observable((subscriber) =>
      RequestContext.run(() => {
        const ctx = RequestContext.current()!;
        return next.handle().subscribe({
          next: (data: unknown) => {
            const ms = ctx.measured ? ctx.queryTimeMs : performance.now() - started;
            const body: Envelope<unknown> = {
              success: true,
              data: data ?? null,
              metrics: { query_time_ms: Math.round(ms * 100) / 100, cache_hit: ctx.cacheHit },
              timestamp: new Date().toISOString(),
            };
            subscriber.next(body);
          },
          error: (err: unknown) => subscriber.error(err),
          complete: () => subscriber.complete(),
        });
      }),
    );
  }
}

import { type CanActivate, type ExecutionContext, Injectable } from '@nestjs/common';
import { ROUTE_ARGS_METADATA } from '@nestjs/common/constants.js';
import { RouteParamtypes } from '@nestjs/common/internal';
import type { FastifyRequest } from 'fastify';
import { CommonErrors } from '../errors/common.errors.js';

/** The global prefix of every API route (bootstrap.ts sets it on the app). */
export const API_PREFIX = 'api/v1';

/**
 * Unknown query parameters are refused on every API route, as unknown body fields are: a route that binds a
 * query DTO has the validation pipe do it, and for a route that binds none this guard does (`?foo=1` is a
 * 400 naming `foo`, not silently ignored). Probes and /metrics, outside the API prefix, accept anything:
 * monitoring tools append cache-busters.
 */
@Injectable()
export class StrayQueryGuard implements CanActivate {
  /** Per handler: whether it binds @Query() (read once from Nest's route metadata). */
  private readonly bindsQuery = new WeakMap<object, boolean>();

  private readonly apiPath = `/${API_PREFIX}/`;

  canActivate(context: ExecutionContext): boolean {
    if (context.getType() !== 'http') return true;
    const request = context.switchToHttp().getRequest<FastifyRequest>();
    if (!request.url.startsWith(this.apiPath)) return true;
    const names = Object.keys((request.query as Record<string, unknown> | undefined) ?? {});
    if (names.length === 0 || this.handlerBindsQuery(context)) return true;
    throw CommonErrors.validation(
      `This route takes no query parameters: ${names.join(', ')}`,
      Object.fromEntries(names.map((n) => [n, ['is not a parameter of this route']])),
    );
  }

  private handlerBindsQuery(context: ExecutionContext): boolean {
    const handler = context.getHandler();
    let binds = this.bindsQuery.get(handler);
    if (binds === undefined) {
      const args = (Reflect.getMetadata(ROUTE_ARGS_METADATA, context.getClass(), handler.name) ??
        {}) as Record<string, unknown>;
      binds = Object.keys(args).some((key) => Number(key.split(':')[0]) === RouteParamtypes.QUERY);
      this.bindsQuery.set(handler, binds);
    }
    return binds;
  }
}

import { type CanActivate, type ExecutionContext, Inject, Injectable, SetMetadata } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { APP_CONFIG, type AppConfig } from '../../config/app-config.js';
import { AppError } from '../errors/app-error.js';
import { RateLimitService } from './rate-limit.service.js';

const AUTH_THROTTLED = 'throttle:auth';
const SKIP_THROTTLE = 'throttle:skip';

/** Marks a controller or route for the stricter 'auth' limit (login, register, refresh: guessing targets). */
export const AuthThrottled = () => SetMetadata(AUTH_THROTTLED, true);
/** Probes and scrapes are not rate-limited. */
export const SkipThrottle = () => SetMetadata(SKIP_THROTTLE, true);

export const rateLimited = (retryAfterSeconds: number) =>
  new AppError('RATE_LIMITED', 429, `Too many requests, retry in ${retryAfterSeconds} s`, {
    retry_after_seconds: retryAfterSeconds,
  });

/**
 * Global HTTP rate limit: THROTTLE_LIMIT requests per THROTTLE_TTL_SECONDS per user once authenticated
 * (per client IP before that), plus AUTH_THROTTLE_LIMIT on the auth routes per IP.
 */
@Injectable()
export class RateLimitGuard implements CanActivate {
  constructor(
    private readonly reflector: Reflector,
    private readonly limits: RateLimitService,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    if (context.getType() !== 'http') return true;
    const targets = [context.getHandler(), context.getClass()];
    if (this.reflector.getAllAndOverride<boolean>(SKIP_THROTTLE, targets)) return true;
    const request = context.switchToHttp().getRequest<FastifyRequest & { user?: { userId: string } }>();
    const reply = context.switchToHttp().getResponse<FastifyReply>();
    const duration = this.config.throttleTtlSeconds;

    if (this.reflector.getAllAndOverride<boolean>(AUTH_THROTTLED, targets)) {
      const auth = this.limits.limiter('http-auth', {
        points: this.config.authThrottleLimit,
        durationSeconds: duration,
      });
      const verdict = await this.limits.consume(auth, `ip:${request.ip}`);
      if (!verdict.allowed) this.refuse(reply, verdict.retryAfterSeconds);
    }
    const general = this.limits.limiter('http', {
      points: this.config.throttleLimit,
      durationSeconds: duration,
    });
    const key = request.user?.userId ? `user:${request.user.userId}` : `ip:${request.ip}`;
    const verdict = await this.limits.consume(general, key);
    if (!verdict.allowed) this.refuse(reply, verdict.retryAfterSeconds);
    return true;
  }

  private refuse(reply: FastifyReply, retryAfterSeconds: number): never {
    void reply.header('retry-after', String(retryAfterSeconds));
    throw rateLimited(retryAfterSeconds);
  }
}

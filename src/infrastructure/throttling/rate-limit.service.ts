import { Inject, Injectable } from '@nestjs/common';
import type { Redis } from 'ioredis';
import {
  RateLimiterMemory,
  RateLimiterRedis,
  RateLimiterRes,
  type RateLimiterAbstract,
} from 'rate-limiter-flexible';
import { APP_CONFIG, type AppConfig } from '../../config/app-config.js';
import { REDIS } from '../redis/redis.module.js';

export interface RateLimitRule {
  points: number;
  durationSeconds: number;
  /** Once exceeded, refuse for this long (defaults to the rest of the window). */
  blockSeconds?: number;
}

export type RateLimitVerdict = { allowed: true } | { allowed: false; retryAfterSeconds: number };

/**
 * Named rate limiters shared by HTTP guards, gateways and commands. Counters live in Redis when configured
 * (so the limit holds across nodes) and in memory otherwise. rate-limiter-flexible does the atomic counting;
 * @nestjs/throttler is CommonJS requiring ESM-only Nest 12 and cannot load under Jest on Node 20.
 */
@Injectable()
export class RateLimitService {
  private readonly limiters = new Map<string, RateLimiterAbstract>();

  constructor(
    @Inject(REDIS) private readonly redis: Redis | null,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  /** Defines (once) and returns the limiter called `name`. `local` keeps it in memory even with Redis. */
  limiter(name: string, rule: RateLimitRule, local = false): RateLimiterAbstract {
    let limiter = this.limiters.get(name);
    if (!limiter) {
      const options = {
        keyPrefix: `${this.config.redisKeyPrefix}rl:${name}`,
        points: rule.points,
        duration: rule.durationSeconds,
        blockDuration: rule.blockSeconds ?? 0,
      };
      limiter =
        this.redis && !local
          ? new RateLimiterRedis({
              ...options,
              storeClient: this.redis,
              insuranceLimiter: new RateLimiterMemory(options),
            })
          : new RateLimiterMemory(options);
      this.limiters.set(name, limiter);
    }
    return limiter;
  }

  async consume(limiter: RateLimiterAbstract, key: string, points = 1): Promise<RateLimitVerdict> {
    try {
      await limiter.consume(key, points);
      return { allowed: true };
    } catch (rejection) {
      if (rejection instanceof RateLimiterRes) {
        return { allowed: false, retryAfterSeconds: Math.max(1, Math.ceil(rejection.msBeforeNext / 1000)) };
      }
      throw rejection; // a store failure the insurance limiter could not absorb
    }
  }
}

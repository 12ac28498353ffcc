import { Inject, Injectable } from '@nestjs/common';
import type { Redis } from 'ioredis';
import {
  RateLimiterMemory,
  RateLimiterRedis,
  RateLimiterRes,
  type RateLimiterAbstract,
} from 'rate-limiter-flexible';
import { APP_CONFIG, type AppConfig } from '../../config/app-config.js';
import { RedisAvailability } from '../redis/redis-availability.js';
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
 *
 * When Redis fails (down, or silent until REDIS_COMMAND_TIMEOUT_MS), each limiter falls back to a memory twin
 * (the limit then holds per node) for REDIS_RETRY_AFTER_FAILURE_MS before it asks Redis again, so that an
 * outage costs a request the timeout once per window rather than on every call. While the client is not
 * connected at all it counts in memory without asking (see RedisAvailability, which the cache and presence
 * share: a failure any of them sees moves all of them off Redis).
 */
@Injectable()
export class RateLimitService {
  private readonly limiters = new Map<string, RateLimiterAbstract>();
  private readonly fallbacks = new WeakMap<RateLimiterAbstract, RateLimiterMemory>();

  constructor(
    @Inject(REDIS) private readonly redis: Redis | null,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly availability: RedisAvailability,
  ) {
    // rate-limiter-flexible defines its Lua command (rlflxIncr) on the client whenever a RateLimiterRedis is
    // built, and an ioredis auto-pipeline copies the client's commands when it is created. A limiter built on
    // first use while another command waited in a pipeline was queued into it without its command, and ioredis
    // then threw "results[i] is not iterable" from a nextTick: an uncaught exception that ends the node
    // (ioredis#1931). Defined once here, before any request, every pipeline has it; later limiters define the
    // same script again.
    if (redis) new RateLimiterRedis({ storeClient: redis, points: 1, duration: 1 });
  }

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
      if (this.redis && !local) {
        limiter = new RateLimiterRedis({ ...options, storeClient: this.redis });
        this.fallbacks.set(limiter, new RateLimiterMemory(options));
      } else {
        limiter = new RateLimiterMemory(options);
      }
      this.limiters.set(name, limiter);
    }
    return limiter;
  }

  async consume(limiter: RateLimiterAbstract, key: string, points = 1): Promise<RateLimitVerdict> {
    const { active, fallback } = this.store(limiter);
    try {
      await active.consume(key, points);
      return { allowed: true };
    } catch (rejection) {
      if (rejection instanceof RateLimiterRes) {
        return { allowed: false, retryAfterSeconds: Math.max(1, Math.ceil(rejection.msBeforeNext / 1000)) };
      }
      if (!fallback || active === fallback) throw rejection;
      // The store failed, not the limit: count in memory for a while.
      this.availability.failed(rejection, 'rate limits');
      return this.consume(limiter, key, points);
    }
  }

  /**
   * Gives back points consume() took for a request that turned out to cost nothing (a trade's replay). Best
   * effort: when Redis fails the points stay spent until the window ends.
   */
  async refund(limiter: RateLimiterAbstract, key: string, points = 1): Promise<void> {
    const { active, fallback } = this.store(limiter);
    try {
      await active.reward(key, points);
    } catch (err) {
      if (!fallback || active === fallback) throw err;
      this.availability.failed(err, 'rate limits');
    }
  }

  /** Where `limiter` counts now: its memory twin while Redis is known to be down. */
  private store(limiter: RateLimiterAbstract) {
    const fallback = this.fallbacks.get(limiter);
    return { active: fallback && !this.availability.available ? fallback : limiter, fallback };
  }
}

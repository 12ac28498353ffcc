import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { Redis } from 'ioredis';
import { RedisAvailability } from '../src/infrastructure/redis/redis-availability.js';
import { REDIS } from '../src/infrastructure/redis/redis.module.js';
import { RateLimitService } from '../src/infrastructure/throttling/rate-limit.service.js';
import { startTestApp, type TestApp } from './support/test-app.js';

const onRedis = process.env.TEST_REDIS_URL ? it : it.skip;

describe('rate limits on Redis', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp();
  });
  afterAll(async () => t?.close());

  /**
   * rate-limiter-flexible defines its Lua command on the client when a limiter is built, and limiters are built
   * on first use. An ioredis auto-pipeline already waiting then lacked the command: the limiter's callback was
   * queued without it, and when the pipeline came back ioredis threw "results[i] is not iterable" from a
   * nextTick, an uncaught exception that ends the node (ioredis#1931). It struck a node's first trade while
   * presence writes were in flight.
   */
  onRedis(
    'a limiter first used while another Redis command waits in the pipeline counts in Redis',
    async () => {
      const redis = t.app.get<Redis>(REDIS);
      const limits = t.app.get(RateLimitService);
      const name = `first-use-${Date.now()}`;
      // Same tick: the GET opens an auto-pipeline, then the limiter is built and consumes into it.
      const waiting = redis.get(`${t.config.redisKeyPrefix}unrelated`);
      const verdict = limits.consume(limits.limiter(name, { points: 5, durationSeconds: 60 }), 'player-1');
      await expect(waiting).resolves.toBeNull();
      await expect(verdict).resolves.toEqual({ allowed: true });
      // Counted in Redis, not in the memory fallback a Redis failure switches to.
      expect(t.app.get(RedisAvailability).available).toBe(true);
      expect(await redis.get(`${t.config.redisKeyPrefix}rl:${name}:player-1`)).toBe('1');
    },
  );
});

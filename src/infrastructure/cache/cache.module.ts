import { CacheModule } from '@nestjs/cache-manager';
import { createKeyvNonBlocking } from '@keyv/redis';
import type { AppConfig } from '../../config/app-config.js';

/**
 * cache-manager on Keyv: Redis (shared by every node) when REDIS_URL is set, process memory otherwise.
 * The non-blocking Redis store turns a Redis outage into cache misses instead of failed requests.
 */
export function cacheModule(config: AppConfig) {
  return CacheModule.register({
    isGlobal: true,
    ttl: 30_000,
    stores: config.redisUrl
      ? [createKeyvNonBlocking(config.redisUrl, { namespace: `${config.redisKeyPrefix}cache` })]
      : undefined,
  });
}

import { CacheModule } from '@nestjs/cache-manager';
import { Keyv } from 'keyv';
import { APP_CONFIG, type AppConfig } from '../../config/app-config.js';
import { RedisAvailability } from '../redis/redis-availability.js';
import { RedisCacheStore } from './redis-cache-store.js';

/**
 * cache-manager on Keyv: Redis (shared by every node) when REDIS_URL is set, process memory otherwise.
 * The Redis store runs on the app's shared client and turns a Redis outage into cache misses instead of failed
 * or held requests, and the cache comes back by itself with Redis (see RedisCacheStore).
 */
export function cacheModule() {
  return CacheModule.registerAsync({
    isGlobal: true,
    inject: [APP_CONFIG, RedisAvailability],
    useFactory: (config: AppConfig, availability: RedisAvailability) => ({
      ttl: 30_000,
      stores: config.redisUrl
        ? [
            new Keyv({
              store: new RedisCacheStore(availability, `${config.redisKeyPrefix}cache:`),
              useKeyPrefix: false,
            }),
          ]
        : undefined,
    }),
  });
}

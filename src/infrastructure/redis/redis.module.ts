import { Global, Inject, Injectable, Module, type OnApplicationShutdown } from '@nestjs/common';
import { Redis } from 'ioredis';
import { APP_CONFIG, type AppConfig } from '../../config/app-config.js';
import { RedisAvailability } from './redis-availability.js';
import { REDIS } from './redis.token.js';

export { REDIS };

@Injectable()
class RedisLifecycle implements OnApplicationShutdown {
  constructor(
    @Inject(REDIS) private readonly redis: Redis | null,
    private readonly availability: RedisAvailability,
  ) {}

  async onApplicationShutdown(): Promise<void> {
    if (!this.redis || this.redis.status === 'end') return;
    this.availability.closingConnection();
    // Auto-pipelined commands leave on the next turn of the event loop, and QUIT is not pipelined: without
    // this wait it overtakes them and they fail with "Connection is closed" (unhandled where a library does
    // not wait on its command, as the Socket.IO adapter's last PUBLISH).
    await new Promise((resolve) => setImmediate(resolve));
    await this.redis.quit().catch(() => this.redis?.disconnect());
  }
}

@Global()
@Module({
  providers: [
    {
      provide: REDIS,
      inject: [APP_CONFIG],
      useFactory: async (config: AppConfig) => {
        if (!config.redisUrl) return null;
        const redis = new Redis(config.redisUrl, {
          lazyConnect: true,
          maxRetriesPerRequest: 2,
          // A Redis that stops answering without closing the connection would otherwise hold every
          // request that touches it (rate limits, presence) forever. The adapter's duplicates inherit it.
          commandTimeout: config.redisCommandTimeoutMs,
          enableAutoPipelining: true,
        });
        await redis.connect(); // fail at boot, not at the first request, when Redis is unreachable
        return redis;
      },
    },
    RedisLifecycle,
    RedisAvailability,
  ],
  exports: [REDIS, RedisAvailability],
})
export class RedisModule {}

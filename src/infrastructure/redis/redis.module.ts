import { Global, Inject, Injectable, Logger, Module, type OnApplicationShutdown } from '@nestjs/common';
import { Redis } from 'ioredis';
import { APP_CONFIG, type AppConfig } from '../../config/app-config.js';
import { outageCause } from '../database/database-errors.js';
import { StartupError } from '../startup-failure.js';
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

/**
 * The node could not connect to REDIS_URL at start: what ioredis said and where it tried (the URL without its
 * password), printed alone by failStartup.
 */
export class RedisUnreachableError extends StartupError {
  constructor(redisUrl: string, cause: unknown, waitedMs: number) {
    const url = new URL(redisUrl);
    if (url.password) url.password = '***';
    const code = (cause as { code?: unknown }).code;
    super(
      `Cannot connect to Redis at REDIS_URL ${url.toString()}` +
        (waitedMs > 0 ? ` (waited ${Math.round(waitedMs / 1000)} s)` : '') +
        `: ${cause instanceof Error ? cause.message : String(cause)}` +
        (typeof code === 'string' ? ` (${code})` : '') +
        '. Check REDIS_URL and that Redis is up and accepts this client.',
      { cause },
    );
  }
}

/**
 * Connects the node's client. A Redis that cannot be reached yet (refused, restarting, a failover, Redis
 * starting beside the node) gets REDIS_START_TIMEOUT_MS, with one warning: ioredis keeps retrying by itself, and
 * the start goes on at its first ready. A Redis that refuses the client (WRONGPASS, NOAUTH) fails the start at
 * once; so does one still away at the end. (ioredis only emits a failed SELECT of a database Redis lacks, and
 * starts.)
 */
async function connectAtStart(redis: Redis, config: AppConfig): Promise<void> {
  const started = Date.now();
  let lastError: unknown;
  const remember = (err: unknown) => (lastError = err);
  redis.on('error', remember);
  try {
    await redis.connect();
    return;
  } catch (err) {
    lastError ??= err;
    if (isReplyError(lastError) || config.redisStartTimeoutMs === 0) {
      redis.disconnect();
      throw new RedisUnreachableError(config.redisUrl!, lastError, 0);
    }
  } finally {
    redis.off('error', remember);
  }
  new Logger('RedisModule').warn(
    { cause: outageCause(lastError), waitingSeconds: config.redisStartTimeoutMs / 1000 },
    'Redis is unreachable at start: waiting for it (REDIS_START_TIMEOUT_MS)',
  );
  const outcome = await new Promise<'ready' | unknown>((resolve) => {
    const timer = setTimeout(() => finish(lastError ?? new Error('no answer')), config.redisStartTimeoutMs);
    const onError = (err: unknown) => {
      lastError = err;
      if (isReplyError(err)) finish(err);
    };
    const onReady = () => finish('ready');
    const finish = (result: unknown) => {
      clearTimeout(timer);
      redis.off('ready', onReady);
      redis.off('error', onError);
      resolve(result);
    };
    redis.on('ready', onReady);
    redis.on('error', onError);
  });
  if (outcome === 'ready') return;
  redis.disconnect();
  throw new RedisUnreachableError(config.redisUrl!, outcome, Date.now() - started);
}

/** An error Redis itself answered (WRONGPASS, NOAUTH, ERR invalid DB index, ...): waiting will not help. */
const isReplyError = (err: unknown) => err instanceof Error && err.name === 'ReplyError';

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
        // Fail at boot, not at the first request, when Redis stays unreachable.
        await connectAtStart(redis, config);
        return redis;
      },
    },
    RedisLifecycle,
    RedisAvailability,
  ],
  exports: [REDIS, RedisAvailability],
})
export class RedisModule {}

import { EventEmitter } from 'node:events';
import type { Redis } from 'ioredis';
import type { KeyvStoreAdapter, StoredData } from 'keyv';
import type { RedisAvailability } from '../redis/redis-availability.js';

/**
 * Keyv's store on the app's shared ioredis client, where a Redis outage is a cache miss and nothing else.
 *
 * It replaces @keyv/redis' non-blocking store, whose own node-redis client, measured against a relay taken
 * down and silenced: held a request for as long as Redis stayed silent (node-redis has no command timeout),
 * held the first request after boot while Redis was down, and, once its connection had dropped, never
 * reconnected (that store turns reconnection off), so the cache stayed off until the process restarted. The
 * shared client times commands out (REDIS_COMMAND_TIMEOUT_MS) and reconnects by itself; RedisAvailability
 * skips Redis at once while it is known to be away.
 */
export class RedisCacheStore extends EventEmitter implements KeyvStoreAdapter {
  readonly opts: { dialect: string; prefix: string };

  constructor(
    private readonly availability: RedisAvailability,
    private readonly prefix: string,
  ) {
    super();
    this.opts = { dialect: 'redis', prefix };
  }

  async get<Value>(key: string): Promise<StoredData<Value> | undefined> {
    const value = await this.attempt((r) => r.get(this.prefix + key));
    return (value ?? undefined) as StoredData<Value> | undefined;
  }

  async set(key: string, value: string, ttl?: number): Promise<void> {
    await this.attempt((r) =>
      ttl ? r.set(this.prefix + key, value, 'PX', ttl) : r.set(this.prefix + key, value),
    );
  }

  async delete(key: string): Promise<boolean> {
    return ((await this.attempt((r) => r.del(this.prefix + key))) ?? 0) > 0;
  }

  /** Every key of this cache (SCAN, never KEYS: Redis stays responsive for everyone else). */
  async clear(): Promise<void> {
    await this.attempt(async (r) => {
      let cursor = '0';
      do {
        const [next, keys] = await r.scan(cursor, 'MATCH', `${this.prefix}*`, 'COUNT', 1000);
        if (keys.length > 0) await r.unlink(...keys);
        cursor = next;
      } while (cursor !== '0');
    });
  }

  /** No-op: the client is the app's, closed by the Redis module after everything else. */
  async disconnect(): Promise<void> {}

  /** The command's answer, or undefined when Redis is away or failed it (RedisAvailability logs that). */
  private attempt<T>(command: (redis: Redis) => Promise<T>): Promise<T | undefined> {
    return this.availability.run('cache', command).catch(() => undefined);
  }
}

import { Inject, Injectable } from '@nestjs/common';
import type { Redis } from 'ioredis';
import { APP_CONFIG, type AppConfig } from '../../config/app-config.js';
import { RedisAvailability } from '../redis/redis-availability.js';
import { REDIS } from '../redis/redis.module.js';
import { PresenceErrors } from './presence.errors.js';

/** How long a sign of life keeps a player online; sockets and logins renew it. */
export const PRESENCE_TTL_MS = 5 * 60_000;

/**
 * Who is online now. A sorted set of player ids scored by expiry time: in Redis when configured (shared by
 * every node, so counts stay right across nodes and a dead node's players expire), in memory otherwise.
 *
 * While Redis is away every method rejects with PRESENCE.UNAVAILABLE, at once when Redis is known to be away
 * (RedisAvailability) rather than after a command timeout each: a write is lost (the tracker's next renewal
 * writes it again) and a read is unknown, which its caller decides how to show.
 */
@Injectable()
export class PresenceService {
  private readonly memory = new Map<string, number>();
  private readonly key: string;

  constructor(
    @Inject(REDIS) private readonly redis: Redis | null,
    @Inject(APP_CONFIG) config: AppConfig,
    private readonly availability: RedisAvailability,
  ) {
    this.key = `${config.redisKeyPrefix}presence:players`;
  }

  /** A Redis round trip, or PRESENCE.UNAVAILABLE when Redis is away or fails it. */
  private inRedis<T>(command: (redis: Redis) => Promise<T>): Promise<T> {
    return this.availability.run('presence', command).catch((err: unknown) => {
      throw PresenceErrors.unavailable(err);
    });
  }

  /**
   * Marks the player online for ttlMs. Resolves true when this made it come online (it was absent or expired),
   * decided atomically, so two sockets connecting at once on any nodes see exactly one arrival.
   */
  async touch(playerId: string, ttlMs = PRESENCE_TTL_MS): Promise<boolean> {
    const now = Date.now();
    const until = now + ttlMs;
    let previous: number | undefined;
    if (this.redis) {
      // MULTI runs both commands as one: the score read is the one this ZADD replaced.
      const replies = await this.inRedis((r) =>
        r.multi().zscore(this.key, playerId).zadd(this.key, until, playerId).exec(),
      );
      const score = replies?.[0]?.[1];
      previous = score === null || score === undefined ? undefined : Number(score);
    } else {
      previous = this.memory.get(playerId);
      this.memory.set(playerId, until);
    }
    return previous === undefined || previous <= now;
  }

  /**
   * Takes the player offline. Resolves true when this removed its entry: of several nodes (or a node and the
   * expiry sweep) taking one player offline at once, exactly one sees true, and tells of the logout.
   */
  async remove(playerId: string): Promise<boolean> {
    if (this.redis) return (await this.inRedis((r) => r.zrem(this.key, playerId))) > 0;
    return this.memory.delete(playerId);
  }

  async onlineIds(): Promise<string[]> {
    const now = Date.now();
    if (this.redis) return this.inRedis((r) => r.zrangebyscore(this.key, `(${now}`, '+inf'));
    return [...this.memory].filter(([, until]) => until > now).map(([id]) => id);
  }

  async countOnline(): Promise<number> {
    const now = Date.now();
    if (this.redis) return this.inRedis((r) => r.zcount(this.key, `(${now}`, '+inf'));
    let n = 0;
    for (const until of this.memory.values()) if (until > now) n += 1;
    return n;
  }

  /**
   * Removes the entries whose time ran out (a dead node's players, an idle HTTP login) and returns their ids:
   * each exactly once, however many nodes sweep (read and removal are one MULTI), so each gets one logout.
   * Readers above only filter by time and leave the removal to this.
   */
  async takeExpired(): Promise<string[]> {
    const now = Date.now();
    if (this.redis) {
      const replies = await this.inRedis((r) =>
        r.multi().zrangebyscore(this.key, '-inf', now).zremrangebyscore(this.key, '-inf', now).exec(),
      );
      return (replies?.[0]?.[1] as string[] | undefined) ?? [];
    }
    const expired: string[] = [];
    for (const [id, until] of this.memory) {
      if (until > now) continue;
      this.memory.delete(id);
      expired.push(id);
    }
    return expired;
  }

  async isOnline(playerId: string): Promise<boolean> {
    const until = this.redis
      ? Number(await this.inRedis((r) => r.zscore(this.key, playerId)))
      : this.memory.get(playerId);
    return until !== undefined && until > Date.now();
  }

  /** Which of these players are online: one round trip however many ids (a console page). */
  async onlineAmong(playerIds: readonly string[]): Promise<Set<string>> {
    if (playerIds.length === 0) return new Set();
    const now = Date.now();
    if (this.redis) {
      const scores = await this.inRedis((r) => r.zmscore(this.key, ...playerIds));
      return new Set(playerIds.filter((_, i) => scores[i] !== null && Number(scores[i]) > now));
    }
    return new Set(playerIds.filter((id) => (this.memory.get(id) ?? 0) > now));
  }
}

import { randomUUID } from 'node:crypto';
import { Global, Inject, Injectable, Module, type OnApplicationShutdown } from '@nestjs/common';
import type { Redis } from 'ioredis';
import { APP_CONFIG, type AppConfig } from '../../config/app-config.js';
import { RedisAvailability } from '../redis/redis-availability.js';
import { REDIS } from '../redis/redis.module.js';

/** Keep the lease if we hold it, else take it if free: one atomic step. */
const ACQUIRE_OR_RENEW = `
if redis.call('GET', KEYS[1]) == ARGV[1] then
  redis.call('PEXPIRE', KEYS[1], ARGV[2])
  return 1
end
if redis.call('SET', KEYS[1], ARGV[1], 'NX', 'PX', ARGV[2]) then return 1 end
return 0`;

const RELEASE = `
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0`;

/**
 * Which node runs a scheduled job: a Redis lease per job (SET NX PX, renewed by its holder on every tick;
 * a dead holder's lease expires and another node takes over). Without Redis there is one node: it leads.
 */
@Injectable()
export class LeaderElection implements OnApplicationShutdown {
  readonly nodeId = randomUUID();
  private readonly held = new Set<string>();

  constructor(
    @Inject(REDIS) private readonly redis: Redis | null,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly availability: RedisAvailability,
  ) {}

  /** True when this node holds (now, for leaseMs more) the lease on `job`. Call on every tick. */
  async lead(job: string, leaseMs: number): Promise<boolean> {
    if (!this.redis) return true;
    try {
      const won =
        (await this.availability.run('leader election', (r) =>
          r.eval(ACQUIRE_OR_RENEW, 1, this.key(job), this.nodeId, String(leaseMs)),
        )) === 1;
      if (won) this.held.add(job);
      else this.held.delete(job);
      return won;
    } catch {
      // Redis away: nobody can be sure to lead, so the tick is skipped on every node. RedisAvailability logs
      // the failure once per window (not once per tick) and skips Redis at once while it is known to be away.
      return false;
    }
  }

  async onApplicationShutdown(): Promise<void> {
    if (!this.redis || this.redis.status !== 'ready') return;
    // Hand over at once instead of making the others wait for the lease to expire.
    await Promise.all(
      [...this.held].map((job) => this.redis!.eval(RELEASE, 1, this.key(job), this.nodeId).catch(() => 0)),
    );
  }

  private key(job: string): string {
    return `${this.config.redisKeyPrefix}leader:${job}`;
  }
}

@Global()
@Module({ providers: [LeaderElection], exports: [LeaderElection] })
export class LeaderModule {}

import { Inject, Injectable, Logger } from '@nestjs/common';
import type { Redis } from 'ioredis';
import { outageCause } from '../database/database-errors.js';
import { REDIS } from './redis.token.js';

/** After a Redis failure, how long the node leaves Redis alone (rate limits in memory, no cache, no presence). */
export const REDIS_RETRY_AFTER_FAILURE_MS = 5_000;

/** Thrown at once, without a command sent, while Redis is known to be away. */
export class RedisUnavailableError extends Error {
  constructor(reason: string) {
    super(`Redis is unavailable: ${reason}`);
    this.name = 'RedisUnavailableError';
  }
}

export type RedisProbe = { up: true } | { up: false; message: string };

/**
 * The longest a probe waits for PONG, whatever REDIS_COMMAND_TIMEOUT_MS: a readiness probe has a deadline of its
 * own (1 s by default in Kubernetes), and a node that serves without Redis must not miss it because Redis is
 * silent. A Redis that answers at all answers a PING in well under a millisecond.
 */
export const REDIS_PROBE_TIMEOUT_MS = 500;

/**
 * Whether this node sends commands to Redis now, shared by everything that can do without it (rate limits,
 * cache, presence). While the client is not connected (Redis down or restarting) a command would wait in
 * ioredis' offline queue for REDIS_COMMAND_TIMEOUT_MS; while Redis is silent (a partition) every command waits
 * that long before it times out. So: not connected means unavailable at once, and after any failure every user
 * skips Redis for REDIS_RETRY_AFTER_FAILURE_MS. An outage then costs one request the timeout per window, not
 * every request once per Redis command it makes. The client reconnects by itself; nothing here needs a restart.
 */
@Injectable()
export class RedisAvailability {
  private readonly logger = new Logger(RedisAvailability.name);
  private avoidUntil = 0;
  /** When the connection was lost (null: connected, or never connected yet). */
  private lostAt: number | null = null;
  private closing = false;

  constructor(@Inject(REDIS) private readonly redis: Redis | null) {
    // The connection's own story, told once each way: lost (the first close or error after it was ready), and
    // back. Without a listener ioredis prints every failed reconnect (every 2 s while Redis is down) to stderr
    // as plain text with a stack, outside the JSON logs; without these lines, an outage in which the node sends
    // Redis nothing (it knows the connection is down) left no JSON line at all.
    redis?.on('error', (err: Error) => this.lost(err.message, err));
    redis?.on('close', () => this.lost('connection closed'));
    redis?.on('ready', () => {
      if (this.lostAt === null) return;
      this.logger.log(
        { downSeconds: Math.round((Date.now() - this.lostAt) / 1000) },
        'Redis connection is back: shared rate limits, cache, presence and cross-node messages resume',
      );
      this.lostAt = null;
      for (const listener of this.backListeners) listener();
    });
  }

  private readonly backListeners: (() => void)[] = [];

  /** Calls `listener` each time the connection is back after it was lost (see the constructor). */
  onBack(listener: () => void): void {
    this.backListeners.push(listener);
  }

  /** Whether the node uses Redis at all (REDIS_URL). */
  get configured(): boolean {
    return this.redis !== null;
  }

  /** The node is closing its Redis connection itself (shutdown): that is not an outage. */
  closingConnection(): void {
    this.closing = true;
  }

  private lost(reason: string, err?: Error): void {
    if (this.lostAt !== null || this.closing) return;
    this.lostAt = Date.now();
    this.logger.warn(
      { reason, ...(err ? { cause: outageCause(err) } : {}) },
      'Redis connection lost: rate limits count in memory, cache and presence are skipped, and messages reach ' +
        'this node only, until it is back (reconnecting by itself)',
    );
  }

  /**
   * True from the "Redis connection lost" line until the "back" line: what fails meanwhile because Redis is away
   * (PRESENCE.UNAVAILABLE) has been told already.
   */
  get connectionLost(): boolean {
    return this.lostAt !== null;
  }

  /** True when Redis is configured, connected and has not failed within the last REDIS_RETRY_AFTER_FAILURE_MS. */
  get available(): boolean {
    return this.connected && Date.now() >= this.avoidUntil;
  }

  /** True while the client holds a ready connection: a command now is sent now, not queued until a reconnect. */
  get connected(): boolean {
    return this.redis?.status === 'ready';
  }

  /** Records that a Redis command failed: Redis is skipped for REDIS_RETRY_AFTER_FAILURE_MS (logged once a window). */
  failed(err: unknown, by: string): void {
    if (Date.now() >= this.avoidUntil)
      // The cause in a line (a timeout, a closed connection): its stack is ioredis' and the same every time.
      this.logger.warn(
        { cause: outageCause(err), by },
        `Redis failed: rate limits count in memory, cache and presence are skipped for ${REDIS_RETRY_AFTER_FAILURE_MS / 1000} s`,
      );
    this.avoidUntil = Date.now() + REDIS_RETRY_AFTER_FAILURE_MS;
  }

  /**
   * Runs `command` on the shared client, or rejects at once with RedisUnavailableError while Redis is
   * unavailable. A failure of the command counts as a Redis failure (see failed) and is rethrown.
   */
  async run<T>(by: string, command: (redis: Redis) => Promise<T>): Promise<T> {
    if (!this.redis) throw new RedisUnavailableError('not configured');
    if (!this.connected) throw new RedisUnavailableError(`connection ${this.redis.status}`);
    if (!this.available)
      throw new RedisUnavailableError(
        `skipped for ${REDIS_RETRY_AFTER_FAILURE_MS / 1000} s after a failed command (see "Redis failed")`,
      );
    try {
      return await command(this.redis);
    } catch (err) {
      this.failed(err, by);
      throw err;
    }
  }

  /**
   * A PING, whatever the recent failures (readiness and the redis_up gauge report what is true now): down at
   * once while the client is not connected, and after REDIS_PROBE_TIMEOUT_MS when Redis does not answer.
   */
  async probe(): Promise<RedisProbe> {
    if (!this.redis) return { up: false, message: 'Redis is not configured' };
    if (!this.connected) return { up: false, message: `Redis connection is ${this.redis.status}` };
    let timer: NodeJS.Timeout | undefined;
    try {
      await Promise.race([
        this.redis.ping(),
        new Promise((_, reject) => {
          timer = setTimeout(
            () => reject(new Error(`No PONG within ${REDIS_PROBE_TIMEOUT_MS} ms`)),
            REDIS_PROBE_TIMEOUT_MS,
          );
        }),
      ]);
      return { up: true };
    } catch (err) {
      return { up: false, message: (err as Error).message };
    } finally {
      clearTimeout(timer);
    }
  }
}

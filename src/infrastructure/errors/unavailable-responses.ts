import { Injectable, Logger } from '@nestjs/common';
import { Counter } from 'prom-client';
import { DatabaseAvailability, type Refusal } from '../database/database-availability.js';
import { databaseFailure, outageCause } from '../database/database-errors.js';
import { MetricsService } from '../metrics/metrics.service.js';
import { PRESENCE_UNAVAILABLE } from '../presence/presence.errors.js';
import { RedisAvailability } from '../redis/redis-availability.js';
import type { AppError } from './app-error.js';

/** An expected 503 code is told at warn at most this often per node; the others in between are debug lines. */
export const UNAVAILABLE_LOG_INTERVAL_MS = 60_000;

/**
 * The 503s a node answers by design while a dependency is away or busy (PRESENCE.UNAVAILABLE while Redis is
 * away, AUDIT.VERIFY_BUSY while the chain-walk slots are taken, TRADING.CONTENDED, ANALYTICS.UNAVAILABLE, …),
 * told the way an operator on a bad day wants them: no stack (the client is told when to retry, the code is
 * not broken); per code, one warning a minute with where it was answered (the route or the socket event) and
 * the cause's message when there is one, and how many were answered since the last such line; every one a
 * debug line and a count in unavailable_responses_total. Told elsewhere already, they are debug lines only:
 * PRESENCE.UNAVAILABLE while RedisAvailability knows Redis is lost, and anything caused by a database outage
 * (DatabaseAvailability counts and tells it). Both filters use it, so HTTP and Socket.IO log alike.
 */
@Injectable()
export class UnavailableResponses {
  private readonly logger = new Logger(UnavailableResponses.name);
  private readonly answered: Counter<'code' | 'transport'>;
  /** Per code: when it was last told at warn, and how many were answered since (that one included). */
  private readonly told = new Map<string, { at: number; since: number }>();

  constructor(
    metrics: MetricsService,
    private readonly redis: RedisAvailability,
    private readonly database: DatabaseAvailability,
  ) {
    this.answered = new Counter({
      name: 'unavailable_responses_total',
      help: 'Requests (transport http) and Socket.IO messages and connections (socket) answered 503 by design while a dependency is away or busy, by code (PRESENCE.UNAVAILABLE, AUDIT.VERIFY_BUSY, TRADING.CONTENDED, ANALYTICS.UNAVAILABLE, ...); database outages count in database_refused_requests_total',
      labelNames: ['code', 'transport'],
      registers: [metrics.registry],
    });
  }

  /** `error` (a 503 AppError, its cause if any in `error.cause`) was answered `where`. */
  tell(error: AppError, where: Refusal): void {
    const cause: unknown = error.cause;
    const outage = cause === undefined ? undefined : databaseFailure(cause);
    if (outage) {
      // The database is the story (a read behind this answer was refused): told once per outage over there.
      this.database.refused(outage, cause, where);
      return;
    }
    this.answered.inc({ code: error.code, transport: where.transport });
    const fields = {
      code: error.code,
      ...where,
      ...(cause === undefined ? {} : { cause: outageCause(cause) }),
    };
    if (error.code === PRESENCE_UNAVAILABLE && this.redis.connectionLost) {
      this.logger.debug(fields, `Answered ${error.code} (Redis is lost, as told)`);
      return;
    }
    const told = this.told.get(error.code) ?? { at: -Infinity, since: 0 };
    told.since += 1;
    this.told.set(error.code, told);
    if (Date.now() - told.at < UNAVAILABLE_LOG_INTERVAL_MS) {
      this.logger.debug(fields, `Answered ${error.code}`);
      return;
    }
    this.logger.warn(
      { ...fields, answeredSinceLastLine: told.since },
      `Answering 503 ${error.code}: ${error.message} (said at most once a minute per code; ` +
        'unavailable_responses_total counts them all)',
    );
    told.at = Date.now();
    told.since = 0;
  }
}

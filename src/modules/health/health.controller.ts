import { Controller, Get, Inject } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { HealthLiveDto, HealthReadyDto } from './dto/health.response.dto.js';
import { SkipThrottle } from '../../infrastructure/throttling/throttling.js';
import {
  HealthCheckService,
  HealthIndicatorService,
  type HealthCheckResult,
  type HealthIndicatorResult,
} from '@nestjs/terminus';
import type { Redis } from 'ioredis';
import { Public } from '../auth/decorators.js';
import { RawResponse } from '../../infrastructure/http/raw-response.decorator.js';
import { REDIS } from '../../infrastructure/redis/redis.module.js';
import { RedisAvailability } from '../../infrastructure/redis/redis-availability.js';
import { AppError } from '../../infrastructure/errors/app-error.js';
import { DatabaseAvailability } from '../../infrastructure/database/database-availability.js';

/** Probes for load balancers and orchestrators; bodies are terminus' report, not the API envelope. */
@ApiTags('health')
@Controller('health')
@SkipThrottle()
export class HealthController {
  constructor(
    private readonly health: HealthCheckService,
    private readonly indicator: HealthIndicatorService,
    private readonly database: DatabaseAvailability,
    private readonly availability: RedisAvailability,
    @Inject(REDIS) private readonly redis: Redis | null,
  ) {}

  @Get('live')
  @Public()
  @RawResponse()
  @ApiOperation({ summary: 'Liveness: the process serves requests' })
  @ApiOkResponse({ type: HealthLiveDto })
  live(): HealthLiveDto {
    return { status: 'ok' };
  }

  /**
   * Only the database decides readiness. Every node shares one Redis and serves without it (rate limits per
   * node, no cache, presence unknown): failing readiness on Redis would take every node out of the load
   * balancer at once when Redis restarts, a total outage caused by a dependency the app survives. Redis is
   * still reported: down, it is under `error` and `details` and the overall status is `degraded` (200).
   */
  @Get('ready')
  @Public()
  @RawResponse()
  @ApiOperation({
    summary:
      'Readiness: 200 while the database answers (status degraded, with Redis under error, while Redis does not); 503 HEALTH.NOT_READY when the database does not',
  })
  @ApiOkResponse({ type: HealthReadyDto })
  async ready(): Promise<HealthCheckResult> {
    const redis = this.redis ? this.pingRedis() : undefined;
    let report: HealthCheckResult;
    try {
      // The database's answer, or its outage error, also tells DatabaseAvailability (the log lines and the
      // database_available gauge): a node without traffic learns of an outage, and of its end, from its probes.
      report = await this.health.check([
        () =>
          this.indicator
            .check('database')
            .attempt(() => this.database.ping())
            .withTimeout(2000),
      ]);
    } catch (err) {
      const checks = (err as { response?: HealthCheckResult }).response;
      throw new AppError('HEALTH.NOT_READY', 503, 'The database is not ready', {
        checks: checks && withRedis(checks, await redis),
      });
    }
    return withRedis(report, await redis);
  }

  private async pingRedis(): Promise<HealthIndicatorResult<'redis'>> {
    const check = this.indicator.check('redis');
    const probe = await this.availability.probe();
    return probe.up ? check.up() : check.down({ message: probe.message });
  }
}

/** Adds Redis to a terminus report without letting it fail the check: down, it makes an `ok` node `degraded`. */
function withRedis(report: HealthCheckResult, redis?: HealthIndicatorResult<'redis'>): HealthCheckResult {
  if (!redis) return report;
  const down = redis.redis.status === 'down';
  return {
    ...report,
    status: down && report.status === 'ok' ? 'degraded' : report.status,
    info: down ? report.info : { ...report.info, ...redis },
    error: down ? { ...report.error, ...redis } : report.error,
    details: { ...report.details, ...redis },
  };
}

import { Controller, Get, Inject } from '@nestjs/common';
import { ApiOperation, ApiTags } from '@nestjs/swagger';
import { SkipThrottle } from '../../infrastructure/throttling/throttling.js';
import {
  HealthCheckService,
  TypeOrmHealthIndicator,
  HealthIndicatorService,
  type HealthCheckResult,
} from '@nestjs/terminus';
import type { Redis } from 'ioredis';
import { Public } from '../auth/decorators.js';
import { RawResponse } from '../../infrastructure/http/raw-response.decorator.js';
import { REDIS } from '../../infrastructure/redis/redis.module.js';
import { AppError } from '../../infrastructure/errors/app-error.js';

/** Probes for load balancers and orchestrators; bodies are terminus' report, not the API envelope. */
@ApiTags('health')
@Controller('health')
@SkipThrottle()
export class HealthController {
  constructor(
    private readonly health: HealthCheckService,
    private readonly db: TypeOrmHealthIndicator,
    private readonly indicator: HealthIndicatorService,
    @Inject(REDIS) private readonly redis: Redis | null,
  ) {}

  @Get('live')
  @Public()
  @RawResponse()
  @ApiOperation({ summary: 'Liveness: the process serves requests' })
  live() {
    return { status: 'ok' };
  }

  @Get('ready')
  @Public()
  @RawResponse()
  @ApiOperation({ summary: 'Readiness: the database (and Redis, when configured) answer' })
  async ready(): Promise<HealthCheckResult> {
    try {
      return await this.health.check([
        () => this.db.pingCheck('database', { timeout: 2000 }),
        ...(this.redis ? [() => this.pingRedis()] : []),
      ]);
    } catch (err) {
      const checks = (err as { response?: unknown }).response;
      throw new AppError('HEALTH.NOT_READY', 503, 'A dependency is not ready', { checks });
    }
  }

  private async pingRedis() {
    const check = this.indicator.check('redis');
    try {
      await Promise.race([
        this.redis!.ping(),
        new Promise((_, reject) => setTimeout(() => reject(new Error('timeout')), 2000)),
      ]);
      return check.up();
    } catch (err) {
      return check.down({ message: (err as Error).message });
    }
  }
}

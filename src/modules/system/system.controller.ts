import { Controller, Get } from '@nestjs/common';
import { ApiBearerAuth, ApiOperation, ApiTags } from '@nestjs/swagger';
import { RequirePermissions } from '../auth/decorators.js';
import { Permission } from '../auth/domain/roles.js';
import { MetricsService } from '../../infrastructure/metrics/metrics.service.js';
import { ApiErrors, FORBIDDEN, UNAUTHENTICATED } from '../../infrastructure/http/api-errors.decorator.js';
import { ApiEnvelope } from '../../infrastructure/http/api-envelope.decorator.js';
import { SystemPerformanceDto } from './dto/system-performance.response.dto.js';

@ApiTags('admin: system')
@ApiBearerAuth()
@ApiErrors({ 401: UNAUTHENTICATED, 403: FORBIDDEN })
@Controller('admin/system')
export class SystemController {
  constructor(private readonly metrics: MetricsService) {}

  @Get('performance')
  @RequirePermissions(Permission.SystemView)
  @ApiOperation({ summary: 'p50/p95/p99 latency per route on this node, from the live histograms' })
  @ApiEnvelope(SystemPerformanceDto)
  async performance(): Promise<SystemPerformanceDto> {
    const routes = await this.metrics.routeLatencies();
    const memory = process.memoryUsage();
    return {
      node: {
        pid: process.pid,
        uptime_s: Math.round(process.uptime()),
        rss_mb: Math.round(memory.rss / 1048576),
      },
      routes,
    };
  }
}

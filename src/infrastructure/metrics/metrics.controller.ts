import { Controller, Get, Header } from '@nestjs/common';
import { ApiExcludeController } from '@nestjs/swagger';
import { SkipThrottle } from '../throttling/throttling.js';
import { Public } from '../../modules/auth/decorators.js';
import { RawResponse } from '../http/raw-response.decorator.js';
import { MetricsService } from './metrics.service.js';

/** Prometheus scrape endpoint (outside /api, unauthenticated: expose it only on the internal network). */
@ApiExcludeController()
@Controller({ path: 'metrics' })
export class MetricsController {
  constructor(private readonly metrics: MetricsService) {}

  @Get()
  @Public()
  @SkipThrottle()
  @RawResponse()
  @Header('content-type', 'text/plain; version=0.0.4; charset=utf-8')
  scrape(): Promise<string> {
    return this.metrics.registry.metrics();
  }
}

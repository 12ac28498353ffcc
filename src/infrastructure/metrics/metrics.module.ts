import { Global, Module } from '@nestjs/common';
import { MetricsController } from './metrics.controller.js';
import { MetricsService } from './metrics.service.js';
import { SystemController } from '../../modules/system/system.controller.js';

@Global()
@Module({
  controllers: [MetricsController, SystemController],
  providers: [MetricsService],
  exports: [MetricsService],
})
export class MetricsModule {}

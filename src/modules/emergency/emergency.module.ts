import { Module } from '@nestjs/common';
import { BanExpiryService } from './ban-expiry.service.js';
import { BulkEmergencyHandler } from './commands/bulk-emergency.handler.js';
import { TakeEmergencyActionHandler } from './commands/take-emergency-action.handler.js';
import { EmergencyBulkController, EmergencyController } from './emergency.controller.js';
import { EmergencyActionExecutor } from './emergency-action.executor.js';
import { GetEmergencyHistoryHandler } from './queries/get-emergency-history.handler.js';

@Module({
  controllers: [EmergencyBulkController, EmergencyController],
  providers: [
    EmergencyActionExecutor,
    TakeEmergencyActionHandler,
    BulkEmergencyHandler,
    GetEmergencyHistoryHandler,
    BanExpiryService,
  ],
  exports: [EmergencyActionExecutor, BanExpiryService],
})
export class EmergencyModule {}

import { Module } from '@nestjs/common';
import { CreateInterventionHandler } from './commands/create-intervention.handler.js';
import { SaveTemplateHandler } from './commands/save-template.handler.js';
import { UpdateInterventionHandler } from './commands/update-intervention.handler.js';
import { RiskSignalsHandler } from './events/risk-signals.handler.js';
import { InterventionsController } from './interventions.controller.js';
import { GetInterventionQueueHandler } from './queries/get-intervention-queue.handler.js';
import { ListTemplatesHandler } from './queries/list-templates.handler.js';
import { RiskSignalsService } from './risk-signals.service.js';

@Module({
  controllers: [InterventionsController],
  providers: [
    CreateInterventionHandler,
    UpdateInterventionHandler,
    SaveTemplateHandler,
    GetInterventionQueueHandler,
    ListTemplatesHandler,
    RiskSignalsService,
    RiskSignalsHandler,
  ],
  exports: [RiskSignalsService],
})
export class InterventionsModule {}

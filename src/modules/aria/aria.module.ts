import { Module } from '@nestjs/common';
import { AriaAlertsRelay } from './aria-alerts.relay.js';
import { AriaPredictionService } from './aria-prediction.service.js';
import { AriaGateway } from './aria.gateway.js';

/**
 * ARIA, the players' AI trading assistant: its market predictions (AriaPredictionService), the ai_alert
 * trading signals they raise (AriaAlertsRelay, on /trading), and its /aria Socket.IO namespace.
 */
@Module({
  providers: [AriaGateway, AriaPredictionService, AriaAlertsRelay],
  exports: [AriaPredictionService],
})
export class AriaModule {}

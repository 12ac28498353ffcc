import { Module } from '@nestjs/common';
import { EmergencyModule } from '../emergency/emergency.module.js';
import { PlayersAdminController } from './players-admin.controller.js';
import { PlayersController } from './players.controller.js';
import { ListPlayersHandler } from './queries/list-players.handler.js';
import { GetPlayerDetailedHandler } from './queries/get-player-detailed.handler.js';
import { GetRealtimeAnalyticsHandler } from './queries/get-realtime-analytics.handler.js';
import { GetOwnPlayerHandler } from './queries/get-own-player.handler.js';
import { UpdatePlayerHandler } from './commands/update-player.handler.js';
import { AnalyticsRefresherService } from './analytics-refresher.service.js';
import { PresenceOnLoginHandler } from './events/presence-on-login.handler.js';

@Module({
  imports: [EmergencyModule], // its executor lifts a lapsed ban before a change, as every other action does
  controllers: [PlayersAdminController, PlayersController],
  providers: [
    ListPlayersHandler,
    GetPlayerDetailedHandler,
    GetRealtimeAnalyticsHandler,
    GetOwnPlayerHandler,
    UpdatePlayerHandler,
    AnalyticsRefresherService,
    PresenceOnLoginHandler,
  ],
  exports: [AnalyticsRefresherService],
})
export class PlayersModule {}

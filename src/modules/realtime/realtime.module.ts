import { Global, Module } from '@nestjs/common';
import { AdminFeed } from './admin-feed.service.js';
import { AdminOperationsRealtimeHandler } from './events/admin-operations.realtime-handler.js';
import { AdminGateway } from './admin.gateway.js';
import { CreditsChangedRealtimeHandler } from './events/credits-changed.realtime-handler.js';
import { LoginRealtimeHandler } from './events/login.realtime-handler.js';
import { MarketHaltRealtimeHandler } from './events/market-halt.realtime-handler.js';
import { PlayerStatusChangedRealtimeHandler } from './events/player-status-changed.realtime-handler.js';
import { PlayerUpdatedRealtimeHandler } from './events/player-updated.realtime-handler.js';
import { TradeExecutedRealtimeHandler } from './events/trade-executed.realtime-handler.js';
import { MetricsTicker } from './metrics-ticker.service.js';
import { PlayerAdmission } from './player-admission.service.js';
import { PlayerChannel } from './player-channel.service.js';
import { PlayerGateway } from './player.gateway.js';
import { PlayerPresenceTracker } from './player-presence.service.js';

/**
 * The /admin analytics feed and the /player channel. Global so any module can inject AdminFeed (publish
 * bulk progress, emergency actions, ...) and PlayerChannel (notify or kick a player) without importing it.
 */
@Global()
@Module({
  providers: [
    AdminGateway,
    PlayerGateway,
    AdminFeed,
    PlayerChannel,
    PlayerAdmission,
    PlayerPresenceTracker,
    MetricsTicker,
    LoginRealtimeHandler,
    CreditsChangedRealtimeHandler,
    PlayerStatusChangedRealtimeHandler,
    PlayerUpdatedRealtimeHandler,
    TradeExecutedRealtimeHandler,
    AdminOperationsRealtimeHandler,
    MarketHaltRealtimeHandler,
  ],
  exports: [AdminFeed, PlayerChannel],
})
export class RealtimeModule {}

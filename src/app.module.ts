import { Module, type DynamicModule } from '@nestjs/common';
import { APP_FILTER, APP_GUARD, APP_INTERCEPTOR } from '@nestjs/core';
import { CqrsModule } from '@nestjs/cqrs';
import { ScheduleModule } from '@nestjs/schedule';
import type { DestinationStream } from 'pino';
import type { AppConfig } from './config/app-config.js';
import { ConfigModule } from './config/config.module.js';
import { DatabaseModule } from './infrastructure/database/database.module.js';
import { RedisModule } from './infrastructure/redis/redis.module.js';
import { cacheModule } from './infrastructure/cache/cache.module.js';
import { loggingModule } from './infrastructure/logging/logging.module.js';
import { MetricsModule } from './infrastructure/metrics/metrics.module.js';
import { ErrorsModule } from './infrastructure/errors/errors.module.js';
import { PresenceModule } from './infrastructure/presence/presence.module.js';
import { LeaderModule } from './infrastructure/leader/leader-election.service.js';
import { WebsocketModule } from './infrastructure/websocket/websocket.module.js';
import { StrayQueryGuard } from './infrastructure/http/stray-query.guard.js';
import { RateLimitGuard } from './infrastructure/throttling/throttling.js';
import { ThrottlingModule } from './infrastructure/throttling/throttling.module.js';
import { EnvelopeInterceptor } from './infrastructure/http/envelope.interceptor.js';
import { HttpExceptionFilter } from './infrastructure/http/http-exception.filter.js';
import { AuditModule } from './modules/audit/audit.module.js';
import { AuthModule } from './modules/auth/auth.module.js';
import { JwtAuthGuard } from './modules/auth/guards/jwt-auth.guard.js';
import { PermissionsGuard } from './modules/auth/guards/permissions.guard.js';
import { HealthModule } from './modules/health/health.module.js';
import { PlayersModule } from './modules/players/players.module.js';
import { TradingModule } from './modules/trading/trading.module.js';
import { RealtimeModule } from './modules/realtime/realtime.module.js';
import { AriaModule } from './modules/aria/aria.module.js';
import { AssetsModule } from './modules/assets/assets.module.js';
import { BulkOpsModule } from './modules/bulk-ops/bulk-ops.module.js';
import { EmergencyModule } from './modules/emergency/emergency.module.js';
import { InterventionsModule } from './modules/interventions/interventions.module.js';
import { SeedModule } from './seed/seed.module.js';

@Module({})
export class AppModule {
  /** `logDestination`: where the JSON logs go instead of stdout (tests read them). */
  static forRoot(config: AppConfig, logDestination?: DestinationStream): DynamicModule {
    return {
      module: AppModule,
      imports: [
        ConfigModule.forRoot(config),
        loggingModule(config, logDestination),
        DatabaseModule.forRoot(config),
        RedisModule,
        cacheModule(),
        ThrottlingModule,
        CqrsModule.forRoot(),
        ScheduleModule.forRoot(),
        MetricsModule,
        ErrorsModule,
        PresenceModule,
        LeaderModule,
        AuditModule,
        AuthModule,
        HealthModule,
        PlayersModule,
        TradingModule,
        WebsocketModule,
        RealtimeModule,
        AriaModule,
        AssetsModule,
        BulkOpsModule,
        EmergencyModule,
        InterventionsModule,
        SeedModule,
      ],
      providers: [
        // Order matters: authenticate, then count against the caller's rate limit (refusals too: each denied
        // attempt writes an audit row, which must not be free to repeat), then authorize; only then is the
        // request's shape judged (as the validation pipe does, after the guards).
        { provide: APP_GUARD, useClass: JwtAuthGuard },
        { provide: APP_GUARD, useClass: RateLimitGuard },
        { provide: APP_GUARD, useClass: PermissionsGuard },
        { provide: APP_GUARD, useClass: StrayQueryGuard },
        { provide: APP_INTERCEPTOR, useClass: EnvelopeInterceptor },
        { provide: APP_FILTER, useClass: HttpExceptionFilter },
      ],
    };
  }
}

import {
  Inject,
  Injectable,
  Logger,
  type OnApplicationBootstrap,
  type BeforeApplicationShutdown,
} from '@nestjs/common';
import { QueryBus } from '@nestjs/cqrs';
import { APP_CONFIG, type AppConfig } from '../../config/app-config.js';
import { DatabaseAvailability } from '../../infrastructure/database/database-availability.js';
import { LeaderElection } from '../../infrastructure/leader/leader-election.service.js';
import { PresenceService } from '../../infrastructure/presence/presence.service.js';
import { RealtimeHub } from '../../infrastructure/websocket/realtime-hub.service.js';
import { GetRealtimeAnalyticsQuery } from '../players/queries/get-realtime-analytics.query.js';
import { Permission } from '../auth/domain/roles.js';
import { ADMIN_NAMESPACE, AdminFeed } from './admin-feed.service.js';
import { PLAYER_NAMESPACE } from './player-channel.service.js';

/**
 * metrics_update every REALTIME_METRICS_INTERVAL_MS: every node ticks, only the lease holder computes and
 * publishes, and the feed delivers to every admin on every node: one message per admin per tick. The leader
 * first sweeps expired presence (a dead node's players, idle logins) into player_update logout
 * {source: 'expired'}, so the counts it publishes and the logouts the admins saw agree.
 */
@Injectable()
export class MetricsTicker implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private readonly logger = new Logger(MetricsTicker.name);
  private timer?: NodeJS.Timeout;
  private running = false;
  private sequence = 0;

  constructor(
    private readonly queryBus: QueryBus,
    private readonly leader: LeaderElection,
    private readonly feed: AdminFeed,
    private readonly hub: RealtimeHub,
    private readonly presence: PresenceService,
    private readonly database: DatabaseAvailability,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  onApplicationBootstrap(): void {
    this.timer = setInterval(() => void this.tick(), this.config.realtimeMetricsIntervalMs);
    this.timer.unref();
  }

  /** Before any shutdown hook closes Redis: a timer firing while it quits left commands that failed unheard. */
  beforeApplicationShutdown(): void {
    clearInterval(this.timer);
  }

  /** Returns true when this node published the tick. */
  async tick(): Promise<boolean> {
    if (this.running) return false;
    this.running = true;
    try {
      const leaseMs = Math.max(3 * this.config.realtimeMetricsIntervalMs, 1000);
      if (!(await this.leader.lead('metrics-tick', leaseMs))) return false;
      const at = new Date().toISOString();
      for (const playerId of await this.presence.takeExpired()) {
        this.feed.playerUpdate(playerId, 'logout', { source: 'expired', at });
      }
      const metrics = await this.queryBus.execute(new GetRealtimeAnalyticsQuery());
      this.sequence += 1;
      this.feed.publish(Permission.PlayersView, 'metrics_update', {
        ...metrics,
        tick: { at: new Date().toISOString(), node_id: this.leader.nodeId, sequence: this.sequence },
        leader_node: {
          admin_sockets: this.hub.localCount(ADMIN_NAMESPACE),
          player_sockets: this.hub.localCount(PLAYER_NAMESPACE),
        },
      });
      return true;
    } catch (err) {
      if (!this.database.skipIfUnavailable('realtime.metrics_tick', err))
        this.logger.warn({ err }, 'metrics_update tick failed');
      return false;
    } finally {
      this.running = false;
    }
  }
}

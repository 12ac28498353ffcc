import { Inject, Injectable, Logger, type OnApplicationBootstrap } from '@nestjs/common';
import { SchedulerRegistry } from '@nestjs/schedule';
import { DatabaseAvailability } from '../../infrastructure/database/database-availability.js';
import { addTick, onOneNode } from '../../infrastructure/scheduling/cluster-tick.js';
import { DataSource } from 'typeorm';
import { APP_CONFIG, type AppConfig } from '../../config/app-config.js';

const REFRESH_LOCK_KEY = 2102_0003;

/**
 * Refreshes player_analytics_summary every ANALYTICS_REFRESH_SECONDS. CONCURRENTLY keeps readers unblocked;
 * the transaction-scoped try-lock means that with many nodes one refreshes and the others skip that tick.
 */
@Injectable()
export class AnalyticsRefresherService implements OnApplicationBootstrap {
  private readonly logger = new Logger(AnalyticsRefresherService.name);
  private running = false;

  constructor(
    private readonly dataSource: DataSource,
    private readonly scheduler: SchedulerRegistry,
    private readonly database: DatabaseAvailability,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  onApplicationBootstrap(): void {
    addTick(this.scheduler, 'player-analytics-refresh', this.config.analyticsRefreshSeconds * 1000, () =>
      this.refresh(),
    );
  }

  /** Returns true when this call did the refresh. */
  async refresh(): Promise<boolean> {
    if (this.running || !this.dataSource.isInitialized) return false;
    this.running = true;
    try {
      const done = await onOneNode(this.dataSource, REFRESH_LOCK_KEY, async (m) => {
        await m.query('REFRESH MATERIALIZED VIEW CONCURRENTLY player_analytics_summary');
        return true;
      });
      return done ?? false;
    } catch (err) {
      if (!this.database.skipIfUnavailable('analytics.refresh', err))
        this.logger.warn({ err }, 'Refreshing player_analytics_summary failed; will retry next tick');
      return false;
    } finally {
      this.running = false;
    }
  }
}

import { Inject, Injectable, Logger, type OnApplicationBootstrap } from '@nestjs/common';
import { EventBus, type IEvent } from '@nestjs/cqrs';
import { SchedulerRegistry } from '@nestjs/schedule';
import { DatabaseAvailability } from '../../infrastructure/database/database-availability.js';
import { addTick, onOneNode } from '../../infrastructure/scheduling/cluster-tick.js';
import { DataSource } from 'typeorm';
import { APP_CONFIG, type AppConfig } from '../../config/app-config.js';
import { BAN_EXPIRED_REASON, EmergencyActionExecutor } from './emergency-action.executor.js';

const BAN_SWEEP_LOCK_KEY = 2102_0501;
const SWEEP_BATCH = 500;

/**
 * Lifts expired bans every BAN_SWEEP_SECONDS. The transaction-scoped try-lock makes one node sweep per
 * tick; each lift goes through the emergency executor, so it is recorded (admin_emergency_actions, audit)
 * and announced (PlayerStatusChangedEvent) exactly like an admin's unban.
 */
@Injectable()
export class BanExpiryService implements OnApplicationBootstrap {
  private readonly logger = new Logger(BanExpiryService.name);
  private running = false;

  constructor(
    private readonly dataSource: DataSource,
    private readonly executor: EmergencyActionExecutor,
    private readonly eventBus: EventBus,
    private readonly scheduler: SchedulerRegistry,
    private readonly database: DatabaseAvailability,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  onApplicationBootstrap(): void {
    addTick(this.scheduler, 'ban-expiry-sweep', this.config.banSweepSeconds * 1000, () => this.sweep());
  }

  /** Returns how many bans were lifted by this call (0 when another node holds the lock). */
  async sweep(): Promise<number> {
    if (this.running || !this.dataSource.isInitialized) return 0;
    this.running = true;
    try {
      const events: IEvent[] = [];
      const lifted = await onOneNode(this.dataSource, BAN_SWEEP_LOCK_KEY, async (m) => {
        const due: { id: string }[] = await m.query(
          `SELECT id FROM players WHERE status = 'banned' AND ban_until IS NOT NULL AND ban_until <= now()
           ORDER BY ban_until LIMIT $1 FOR UPDATE SKIP LOCKED`,
          [SWEEP_BATCH],
        );
        for (const { id } of due) {
          const out = await this.executor.apply(m, null, id, 'unban', {}, BAN_EXPIRED_REASON);
          events.push(...out.events);
        }
        return due.length;
      });
      this.eventBus.publishAll(events);
      return lifted ?? 0;
    } catch (err) {
      if (!this.database.skipIfUnavailable('bans.expiry_sweep', err))
        this.logger.warn({ err }, 'Lifting expired bans failed; will retry next tick');
      return 0;
    } finally {
      this.running = false;
    }
  }
}

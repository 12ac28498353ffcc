import { Inject, Injectable, Logger, type OnApplicationBootstrap } from '@nestjs/common';
import { EventBus } from '@nestjs/cqrs';
import { SchedulerRegistry } from '@nestjs/schedule';
import { DatabaseAvailability } from '../../infrastructure/database/database-availability.js';
import { addTick, onOneNode } from '../../infrastructure/scheduling/cluster-tick.js';
import { DataSource } from 'typeorm';
import { APP_CONFIG, type AppConfig } from '../../config/app-config.js';
import { isCommodity } from './domain/commodities.js';
import { priceFor } from './domain/pricing.js';
import { regenerate } from './domain/regeneration.js';
import { MarketChangedEvent } from './events/market-changed.event.js';

const REGEN_LOCK_KEY = 2102_0301;
const SNAPSHOT_LOCK_KEY = 2102_0302;
const REGEN_BATCH = 5000;

/**
 * Scheduled market work, one node at a time (transaction-scoped advisory try-lock: the others skip the tick):
 *  - regeneration: stock moves by production_rate (units per hour) and prices follow (priceFor);
 *  - snapshots: every market's prices and stock into price_history; old history, expired idempotency keys
 *    (trades' and admin writes') and long-finished automation rules are purged on the same tick.
 * Regeneration skips rows a trade holds (SKIP LOCKED): their time is not lost, regen_at keeps it.
 */
@Injectable()
export class MarketMaintenanceService implements OnApplicationBootstrap {
  private readonly logger = new Logger(MarketMaintenanceService.name);
  private regenerating = false;
  private snapshotting = false;

  constructor(
    private readonly dataSource: DataSource,
    private readonly scheduler: SchedulerRegistry,
    private readonly database: DatabaseAvailability,
    private readonly eventBus: EventBus,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  onApplicationBootstrap(): void {
    if (this.config.marketRegenSeconds > 0)
      addTick(this.scheduler, 'market-regeneration', this.config.marketRegenSeconds * 1000, () =>
        this.regenerate(),
      );
    if (this.config.priceSnapshotSeconds > 0)
      addTick(this.scheduler, 'market-snapshot', this.config.priceSnapshotSeconds * 1000, () =>
        this.snapshot(),
      );
  }

  /** One regeneration pass. Returns the number of markets changed, or null when another node had the tick. */
  async regenerate(): Promise<number | null> {
    if (this.regenerating || !this.dataSource.isInitialized) return null;
    this.regenerating = true;
    try {
      const changed = await onOneNode(this.dataSource, REGEN_LOCK_KEY, async (m) => {
        const [{ now }] = await m.query('SELECT now() AS now');
        const due = await m.query(
          `SELECT sm.station_id, sm.commodity, sm.stock, sm.capacity, sm.production_rate, sm.regen_at, s.class
           FROM station_markets sm JOIN stations s ON s.id = sm.station_id
           WHERE sm.production_rate <> 0
             AND ((sm.production_rate > 0 AND sm.stock < sm.capacity) OR (sm.production_rate < 0 AND sm.stock > 0))
             AND sm.regen_at < now()
           ORDER BY sm.station_id, sm.commodity
           LIMIT ${REGEN_BATCH}
           FOR UPDATE OF sm SKIP LOCKED`,
        );
        const updates: Array<{
          station: string;
          commodity: string;
          stock: number;
          regenAt: Date;
          buy: number;
          sell: number;
        }> = [];
        for (const r of due) {
          if (!isCommodity(r.commodity)) continue;
          const next = regenerate(
            {
              stock: r.stock,
              capacity: r.capacity,
              productionRate: Number(r.production_rate),
              regenAt: new Date(r.regen_at),
            },
            new Date(now),
          );
          if (!next) continue;
          const prices = priceFor(r.commodity, r.class, next.stock, r.capacity);
          updates.push({
            station: r.station_id,
            commodity: r.commodity,
            stock: next.stock,
            regenAt: next.regenAt,
            buy: prices.buyPrice,
            sell: prices.sellPrice,
          });
        }
        if (updates.length === 0) return [];
        // An UPDATE answers [rows, count] through TypeORM's query().
        const [written]: [{ station_id: string; commodity: string; version: string }[], number] =
          await m.query(
            `UPDATE station_markets sm SET stock = u.stock, regen_at = u.regen_at, buy_price = u.buy,
                  sell_price = u.sell, updated_at = now(), version = sm.version + 1
           FROM unnest($1::uuid[], $2::text[], $3::int[], $4::timestamptz[], $5::int[], $6::int[])
                AS u(station_id, commodity, stock, regen_at, buy, sell)
           WHERE sm.station_id = u.station_id AND sm.commodity = u.commodity
           RETURNING sm.station_id, sm.commodity, sm.version`,
            [
              updates.map((u) => u.station),
              updates.map((u) => u.commodity),
              updates.map((u) => u.stock),
              updates.map((u) => u.regenAt.toISOString()),
              updates.map((u) => u.buy),
              updates.map((u) => u.sell),
            ],
          );
        const versions = new Map(written.map((w) => [`${w.station_id}:${w.commodity}`, Number(w.version)]));
        return updates.flatMap((u) => {
          const version = versions.get(`${u.station}:${u.commodity}`);
          return version === undefined ? [] : [{ ...u, version }]; // a market gone meanwhile changed nothing
        });
      });
      if (changed === null) return null;
      for (const u of changed) {
        this.eventBus.publish(
          new MarketChangedEvent(u.station, u.commodity, u.buy, u.sell, u.stock, u.version),
        );
      }
      return changed.length;
    } catch (err) {
      if (!this.database.skipIfUnavailable('market.regeneration', err))
        this.logger.warn({ err }, 'Market regeneration failed; will retry next tick');
      return null;
    } finally {
      this.regenerating = false;
    }
  }

  /** Snapshots every market into price_history and purges what has expired. Returns the rows snapshotted. */
  async snapshot(): Promise<number | null> {
    if (this.snapshotting || !this.dataSource.isInitialized) return null;
    this.snapshotting = true;
    try {
      return await onOneNode(this.dataSource, SNAPSHOT_LOCK_KEY, async (m) => {
        const [{ n }] = await m.query(
          `WITH ins AS (
             INSERT INTO price_history (station_id, commodity, buy_price, sell_price, stock)
             SELECT station_id, commodity, buy_price, sell_price, stock FROM station_markets RETURNING 1)
           SELECT count(*)::int AS n FROM ins`,
        );
        await m.query(
          `DELETE FROM price_history WHERE recorded_at < now() - make_interval(days => $1::int)`,
          [this.config.priceHistoryRetentionDays],
        );
        await m.query(`DELETE FROM trade_idempotency_keys WHERE expires_at < now()`);
        await m.query(`DELETE FROM admin_idempotency_keys WHERE expires_at < now()`);
        // Finished automation rules (their trades stay in the ledger, keyed automation:<rule id>).
        await m.query(
          `DELETE FROM automation_rules
           WHERE status <> 'active' AND finished_at < now() - make_interval(days => $1::int)`,
          [this.config.automationRuleRetentionDays],
        );
        return n as number;
      });
    } catch (err) {
      if (!this.database.skipIfUnavailable('market.snapshot', err))
        this.logger.warn({ err }, 'Price snapshot failed; will retry next tick');
      return null;
    } finally {
      this.snapshotting = false;
    }
  }
}

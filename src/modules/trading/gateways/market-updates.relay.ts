import { Inject, Injectable, Logger, type OnApplicationShutdown } from '@nestjs/common';
import { EventsHandler, type IEventHandler } from '@nestjs/cqrs';
import { DataSource } from 'typeorm';
import { APP_CONFIG, type AppConfig } from '../../../config/app-config.js';
import { DatabaseAvailability } from '../../../infrastructure/database/database-availability.js';
import { RealtimeHub } from '../../../infrastructure/websocket/realtime-hub.service.js';
import { MarketChangedEvent } from '../events/market-changed.event.js';
import { LATEST_PREDICTION, predictionOf, VOLUME_24H, type PredictionRow } from '../queries/market-sql.js';
import { MARKET_NAMESPACE, MarketRooms } from './market-rooms.js';

/**
 * How long a market's 24 h volume and latest prediction are reused between reads. Both are slow-moving (a sum
 * over a day, a forecast), and the sum over a busy market's day of trades is the costly read: at most one per
 * market per node per this period, not one per update.
 */
const STATS_TTL_MS = 5_000;
/** Stats up to this old are sent while the next read runs in the background. */
const STATS_STALE_MS = 60_000;
export interface MarketStats {
  volume_24h: number;
  prediction: ReturnType<typeof predictionOf>;
}

export interface MarketUpdate {
  commodity: string;
  station_id: string;
  buy_price: number;
  sell_price: number;
  stock: number;
  /** station_markets.version of this state: a client drops an update whose version is not above its last. */
  version: number;
  /** null: unknown (the read failed and none was known before). */
  volume_24h: number | null;
  predicted_price?: number;
  confidence?: number;
}

/** A market's state at one version, as the change's event carries it; the volume and prediction are added when it is sent. */
type MarketState = Omit<MarketUpdate, 'volume_24h' | 'predicted_price' | 'confidence'>;

interface CoalescingWindow {
  timer?: NodeJS.Timeout;
  /** The latest change since the window opened. */
  pending?: MarketState;
}

/** The market_update payload: the state with its stats, null volume when they are unknown. */
export function marketUpdate(state: MarketState, stats: MarketStats | undefined): MarketUpdate {
  const prediction = stats?.prediction;
  return {
    ...state,
    volume_24h: stats ? stats.volume_24h : null,
    ...(prediction ? { predicted_price: prediction.predicted_price, confidence: prediction.confidence } : {}),
  };
}

/**
 * MarketChangedEvent → market_update on /market, at most one per station and commodity per
 * MARKET_UPDATE_COALESCE_MS (100 ms): the first change goes out at once, later ones inside the window are folded
 * into one trailing update carrying the latest state. Twice: here, for the changes made through this node (so a
 * busy market costs the cluster one message per window per node), and by the hub on every node for what it
 * hands its sockets (FanoutMessage.coalesceMs), so that a subscriber gets at most one per window however many
 * nodes trade the market. Each carries the market's 24 h volume
 * and, when ARIA has one, its latest prediction (read at most every STATS_TTL_MS per market, see statsOf).
 * Volatile: a slow client skips stale ticks.
 *
 * Each update is a state of the market row with its version. A trade's change is sent as the row reads when it
 * goes out (apply_trade() does not return the version; this read, of one row by its key, is off the trade's
 * path and at most one per market per window), regeneration's as it wrote it. Every node relays only its own
 * node's changes, and their updates reach the nodes in any order: the hub delivers a market's update only when
 * its version is above the last it delivered (FanoutMessage.supersedes), so no subscriber ends on an older state.
 */
@EventsHandler(MarketChangedEvent)
@Injectable()
export class MarketUpdatesRelay implements IEventHandler<MarketChangedEvent>, OnApplicationShutdown {
  private readonly logger = new Logger(MarketUpdatesRelay.name);
  /** Per station:commodity: when the window closes, and the update waiting for it (if any). */
  private readonly windows = new Map<string, CoalescingWindow>();
  /** Per station:commodity: the stats last read and when, and the read in progress. */
  private readonly stats = new Map<
    string,
    { known?: MarketStats; readAt?: number; reading?: Promise<MarketStats | undefined> }
  >();

  constructor(
    private readonly hub: RealtimeHub,
    private readonly dataSource: DataSource,
    private readonly database: DatabaseAvailability,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  handle(event: MarketChangedEvent): void {
    try {
      const update: MarketState = {
        commodity: event.commodity,
        station_id: event.stationId,
        buy_price: event.buyPrice,
        sell_price: event.sellPrice,
        stock: event.stock,
        version: event.version,
      };
      const key = `${event.stationId}:${event.commodity}`;
      const window = this.windows.get(key);
      if (window) {
        // The newest state wins, not the last to arrive: events of one market can reach a node out of order.
        if (!window.pending || update.version > window.pending.version) window.pending = update;
        return;
      }
      this.send(key, update);
    } catch (err) {
      this.logger.warn({ err }, 'Could not relay a market change');
    }
  }

  /**
   * Publishes the change and keeps the market's window open for MARKET_UPDATE_COALESCE_MS from the moment it
   * went out (the stats read may delay it): changes arriving meanwhile wait as `pending`.
   */
  private send(key: string, change: MarketState): void {
    const window: CoalescingWindow = {};
    this.windows.set(key, window);
    void this.emit(change)
      .catch((err: unknown) => this.logger.warn({ err }, 'Could not relay a market change'))
      .finally(() => {
        if (this.windows.get(key) !== window) return; // shut down meanwhile
        window.timer = setTimeout(() => {
          this.windows.delete(key);
          if (window.pending) this.send(key, window.pending);
        }, this.config.marketUpdateCoalesceMs);
        window.timer.unref();
      });
  }

  /** Publishes at once when the market's stats are known (the usual case), else after reading them. */
  private emit(change: MarketState): Promise<void> {
    const timestamp = new Date().toISOString(); // the change, not the stats read, is what the stamp dates
    const stats = this.statsOf(change.station_id, change.commodity);
    if (!(stats instanceof Promise)) {
      this.publish(change, stats, timestamp);
      return Promise.resolve();
    }
    return stats.then((read) => this.publish(change, read, timestamp));
  }

  private publish(state: MarketState, stats: MarketStats | undefined, timestamp: string): void {
    // Without stats (a failed first read, logged) the prices and stock still go out, the volume as null.
    this.hub.publish(MARKET_NAMESPACE, {
      rooms: [MarketRooms.commodity(state.commodity), MarketRooms.station(state.commodity, state.station_id)],
      type: 'market_update',
      data: marketUpdate(state, stats),
      timestamp,
      volatile: true,
      supersedes: { key: `${state.station_id}:${state.commodity}`, version: state.version },
      coalesceMs: this.config.marketUpdateCoalesceMs,
    });
  }

  /**
   * The market's stats, synchronously when known: the last read while younger than STATS_TTL_MS, and up to
   * STATS_STALE_MS too while a fresh read runs for the next update (an update never waits behind a read of a
   * busy market, and keeps its place behind the trade's other messages). Older or never read: a promise of
   * the read. Reads of one market never overlap.
   */
  private statsOf(stationId: string, commodity: string): MarketStats | Promise<MarketStats | undefined> {
    const key = `${stationId}:${commodity}`;
    let entry = this.stats.get(key);
    if (!entry) {
      entry = {};
      this.stats.set(key, entry);
    }
    const age = entry.readAt === undefined ? Infinity : Date.now() - entry.readAt;
    if (entry.known && age < STATS_TTL_MS) return entry.known;
    const reading = (entry.reading ??= this.readStats(stationId, commodity)
      .then((read) => {
        if (read) Object.assign(entry, { known: read, readAt: Date.now() });
        return read ?? entry.known;
      })
      .catch((err: unknown) => {
        if (!this.database.skipIfUnavailable('market.volume_read', err))
          this.logger.warn({ err, stationId, commodity }, 'Could not read market volume; reusing the last');
        return entry.known;
      })
      .finally(() => (entry.reading = undefined)));
    return entry.known && age < STATS_STALE_MS ? entry.known : reading;
  }

  private async readStats(stationId: string, commodity: string): Promise<MarketStats | undefined> {
    const [row] = (await this.dataSource.query(
      `SELECT ${VOLUME_24H} AS volume_24h, ${LATEST_PREDICTION} AS prediction
         FROM station_markets sm WHERE sm.station_id = $1 AND sm.commodity = $2`,
      [stationId, commodity],
    )) as { volume_24h: number; prediction: PredictionRow | null }[];
    return row ? { volume_24h: row.volume_24h, prediction: predictionOf(row.prediction) } : undefined;
  }

  onApplicationShutdown(): void {
    for (const { timer } of this.windows.values()) if (timer) clearTimeout(timer);
    this.windows.clear();
    this.stats.clear();
  }
}

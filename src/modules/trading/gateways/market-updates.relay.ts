import { Inject, Injectable, Logger, type OnApplicationShutdown } from '@nestjs/common';
import { EventsHandler, type IEventHandler } from '@nestjs/cqrs';
import { DataSource } from 'typeorm';
import { APP_CONFIG, type AppConfig } from '../../../config/app-config.js';
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

interface MarketStats {
  volume_24h: number;
  prediction: ReturnType<typeof predictionOf>;
}

export interface MarketUpdate {
  commodity: string;
  station_id: string;
  buy_price: number;
  sell_price: number;
  stock: number;
  volume_24h: number;
  predicted_price?: number;
  confidence?: number;
}

/** A change as the event carries it; the volume and prediction are added when it is sent. */
type MarketChange = Omit<MarketUpdate, 'volume_24h' | 'predicted_price' | 'confidence'>;

/**
 * MarketChangedEvent → market_update on /market, at most one per station and commodity per
 * MARKET_UPDATE_COALESCE_MS (100 ms): the first change goes out at once, later ones inside the window are
 * folded into one trailing update carrying the latest state. Each carries the market's 24 h volume and, when
 * ARIA has one, its latest prediction (read at most every STATS_TTL_MS per market, see statsOf). Volatile: a slow client
 * skips stale ticks.
 */
@EventsHandler(MarketChangedEvent)
@Injectable()
export class MarketUpdatesRelay implements IEventHandler<MarketChangedEvent>, OnApplicationShutdown {
  private readonly logger = new Logger(MarketUpdatesRelay.name);
  /** Per station:commodity: when the window closes, and the update waiting for it (if any). */
  private readonly windows = new Map<string, { timer?: NodeJS.Timeout; pending?: MarketChange }>();
  /** Per station:commodity: the stats last read and when, and the read in progress. */
  private readonly stats = new Map<
    string,
    { known?: MarketStats; readAt?: number; reading?: Promise<MarketStats | undefined> }
  >();

  constructor(
    private readonly hub: RealtimeHub,
    private readonly dataSource: DataSource,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  handle(event: MarketChangedEvent): void {
    try {
      const update: MarketChange = {
        commodity: event.commodity,
        station_id: event.stationId,
        buy_price: event.buyPrice,
        sell_price: event.sellPrice,
        stock: event.stock,
      };
      const key = `${event.stationId}:${event.commodity}`;
      const window = this.windows.get(key);
      if (window) {
        window.pending = update; // the latest state wins
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
  private send(key: string, change: MarketChange): void {
    const window: { timer?: NodeJS.Timeout; pending?: MarketChange } = {};
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
  private emit(change: MarketChange): Promise<void> {
    const timestamp = new Date().toISOString(); // the change, not the stats read, is what the stamp dates
    const stats = this.statsOf(change.station_id, change.commodity);
    if (!(stats instanceof Promise)) {
      this.publish(change, stats, timestamp);
      return Promise.resolve();
    }
    return stats.then((read) => this.publish(change, read, timestamp));
  }

  private publish(change: MarketChange, stats: MarketStats | undefined, timestamp: string): void {
    // Without stats (a failed first read, logged) the prices and stock still go out.
    const update: MarketChange | MarketUpdate = stats
      ? {
          ...change,
          volume_24h: stats.volume_24h,
          ...(stats.prediction
            ? { predicted_price: stats.prediction.predicted_price, confidence: stats.prediction.confidence }
            : {}),
        }
      : change;
    this.hub.publish(MARKET_NAMESPACE, {
      rooms: [
        MarketRooms.commodity(update.commodity),
        MarketRooms.station(update.commodity, update.station_id),
      ],
      type: 'market_update',
      data: update,
      timestamp,
      volatile: true,
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

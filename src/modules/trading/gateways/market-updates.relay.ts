import { Inject, Injectable, Logger, type OnApplicationShutdown } from '@nestjs/common';
import { EventsHandler, type IEventHandler } from '@nestjs/cqrs';
import { APP_CONFIG, type AppConfig } from '../../../config/app-config.js';
import { RealtimeHub } from '../../../infrastructure/websocket/realtime-hub.service.js';
import { MarketChangedEvent } from '../events/market-changed.event.js';
import { MARKET_NAMESPACE, MarketRooms } from './market-rooms.js';

export interface MarketUpdate {
  commodity: string;
  station_id: string;
  buy_price: number;
  sell_price: number;
  stock: number;
  volume_24h?: number;
}

/**
 * MarketChangedEvent → market_update on /market, at most one per station and commodity per
 * MARKET_UPDATE_COALESCE_MS (100 ms): the first change goes out at once, later ones inside the window are
 * folded into one trailing update carrying the latest state. Volatile: a slow client skips stale ticks.
 */
@EventsHandler(MarketChangedEvent)
@Injectable()
export class MarketUpdatesRelay implements IEventHandler<MarketChangedEvent>, OnApplicationShutdown {
  private readonly logger = new Logger(MarketUpdatesRelay.name);
  /** Per station:commodity: when the window closes, and the update waiting for it (if any). */
  private readonly windows = new Map<string, { timer: NodeJS.Timeout; pending?: MarketUpdate }>();

  constructor(
    private readonly hub: RealtimeHub,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  handle(event: MarketChangedEvent): void {
    try {
      const update: MarketUpdate = {
        commodity: event.commodity,
        station_id: event.stationId,
        buy_price: event.buyPrice,
        sell_price: event.sellPrice,
        stock: event.stock,
        ...(event.volume24h !== undefined ? { volume_24h: event.volume24h } : {}),
      };
      const key = `${event.stationId}:${event.commodity}`;
      const window = this.windows.get(key);
      if (window) {
        window.pending = update; // the latest state wins
        return;
      }
      this.emit(update);
      this.openWindow(key);
    } catch (err) {
      this.logger.warn({ err }, 'Could not relay a market change');
    }
  }

  private openWindow(key: string): void {
    const timer = setTimeout(() => {
      const window = this.windows.get(key);
      this.windows.delete(key);
      if (window?.pending) {
        this.emit(window.pending);
        this.openWindow(key);
      }
    }, this.config.marketUpdateCoalesceMs);
    timer.unref();
    this.windows.set(key, { timer });
  }

  private emit(update: MarketUpdate): void {
    this.hub.publish(MARKET_NAMESPACE, {
      rooms: [
        MarketRooms.commodity(update.commodity),
        MarketRooms.station(update.commodity, update.station_id),
      ],
      type: 'market_update',
      data: update,
      volatile: true,
    });
  }

  onApplicationShutdown(): void {
    for (const { timer } of this.windows.values()) clearTimeout(timer);
    this.windows.clear();
  }
}

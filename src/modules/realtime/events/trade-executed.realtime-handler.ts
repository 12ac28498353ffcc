import { Logger } from '@nestjs/common';
import { EventsHandler, type IEventHandler } from '@nestjs/cqrs';
import { TradeExecutedEvent } from '../../trading/events/trade-executed.event.js';
import { AdminFeed } from '../admin-feed.service.js';
import { PlayerChannel } from '../player-channel.service.js';

/** A committed trade → player_update trade on /admin and assets_changed on the trader's /player sockets. */
@EventsHandler(TradeExecutedEvent)
export class TradeExecutedRealtimeHandler implements IEventHandler<TradeExecutedEvent> {
  private readonly logger = new Logger(TradeExecutedRealtimeHandler.name);

  constructor(
    private readonly feed: AdminFeed,
    private readonly players: PlayerChannel,
  ) {}

  handle(event: TradeExecutedEvent): void {
    try {
      const trade = {
        trade_id: event.tradeId,
        station_id: event.stationId,
        commodity: event.commodity,
        action: event.action,
        quantity: event.quantity,
        unit_price: event.unitPrice,
        total: event.total,
        credits_after: event.creditsAfter,
        at: event.at.toISOString(),
      };
      this.feed.playerUpdate(event.playerId, 'trade', trade);
      this.players.notify(event.playerId, 'assets_changed', {
        kind: 'trade',
        credits: event.creditsAfter,
        trade,
      });
    } catch (err) {
      this.logger.warn({ err, playerId: event.playerId }, 'Could not publish a trade update');
    }
  }
}

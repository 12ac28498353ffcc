import { Logger } from '@nestjs/common';
import { EventsHandler, type IEventHandler } from '@nestjs/cqrs';
import { TradeExecutedEvent, tradeWire } from '../../trading/events/trade-executed.event.js';
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
      const trade = tradeWire(event);
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

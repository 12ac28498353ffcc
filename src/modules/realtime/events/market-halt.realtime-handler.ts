import { Logger } from '@nestjs/common';
import { EventsHandler, type IEventHandler } from '@nestjs/cqrs';
import { haltWire, MarketHaltChangedEvent } from '../../trading/events/market-halt-changed.event.js';
import { Permission } from '../../auth/domain/roles.js';
import { AdminFeed } from '../admin-feed.service.js';

/**
 * A market halt or resume → market_halt {scope, halted, reason, at, actor_id} to every /admin socket: what every
 * player's market does is for every console (players:view).
 */
@EventsHandler(MarketHaltChangedEvent)
export class MarketHaltRealtimeHandler implements IEventHandler<MarketHaltChangedEvent> {
  private readonly logger = new Logger(MarketHaltRealtimeHandler.name);

  constructor(private readonly feed: AdminFeed) {}

  handle(event: MarketHaltChangedEvent): void {
    try {
      this.feed.publish(Permission.PlayersView, 'market_halt', {
        ...haltWire(event),
        actor_id: event.actorId,
      });
    } catch (err) {
      this.logger.warn({ err, commodity: event.commodity }, 'Could not publish a market halt');
    }
  }
}

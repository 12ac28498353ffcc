import { Logger } from '@nestjs/common';
import { EventsHandler, type IEventHandler } from '@nestjs/cqrs';
import { RealtimeHub } from '../../../infrastructure/websocket/realtime-hub.service.js';
import { haltWire, MarketHaltChangedEvent } from '../events/market-halt-changed.event.js';
import { MARKET_NAMESPACE, MarketRooms } from './market-rooms.js';

/**
 * MarketHaltChangedEvent → market_halt {scope, halted, reason, at} on /market, on every node: to every socket
 * for a global halt or resume (scope '*'), to the commodity's subscribers (of the commodity or of one of its
 * stations) for a commodity's. Traders learn of a halt before their next trade's 423. (/admin hears it from
 * MarketHaltRealtimeHandler.)
 */
@EventsHandler(MarketHaltChangedEvent)
export class MarketHaltsRelay implements IEventHandler<MarketHaltChangedEvent> {
  private readonly logger = new Logger(MarketHaltsRelay.name);

  constructor(private readonly hub: RealtimeHub) {}

  handle(event: MarketHaltChangedEvent): void {
    try {
      this.hub.publish(MARKET_NAMESPACE, {
        rooms: event.commodity === null ? null : [MarketRooms.halts(event.commodity)],
        type: 'market_halt',
        data: haltWire(event),
      });
    } catch (err) {
      this.logger.warn({ err, commodity: event.commodity }, 'Could not relay a market halt');
    }
  }
}

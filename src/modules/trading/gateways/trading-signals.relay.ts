import { Logger } from '@nestjs/common';
import { EventsHandler, type IEventHandler } from '@nestjs/cqrs';
import { playerRoom, RealtimeHub } from '../../../infrastructure/websocket/realtime-hub.service.js';
import { TradeExecutedEvent } from '../events/trade-executed.event.js';
import { TRADING_NAMESPACE } from './market-rooms.js';

/** A committed trade → trading_signal {type: 'trade_executed'} on the trader's own /trading sockets, every node. */
@EventsHandler(TradeExecutedEvent)
export class TradingSignalsRelay implements IEventHandler<TradeExecutedEvent> {
  private readonly logger = new Logger(TradingSignalsRelay.name);

  constructor(private readonly hub: RealtimeHub) {}

  handle(event: TradeExecutedEvent): void {
    try {
      this.hub.publish(TRADING_NAMESPACE, {
        rooms: [playerRoom(event.playerId)],
        type: 'trading_signal',
        data: {
          type: 'trade_executed',
          trade_id: event.tradeId,
          station_id: event.stationId,
          commodity: event.commodity,
          action: event.action,
          quantity: event.quantity,
          unit_price: event.unitPrice,
          total: event.total,
          credits_after: event.creditsAfter,
          at: event.at.toISOString(),
        },
      });
    } catch (err) {
      this.logger.warn({ err, playerId: event.playerId }, 'Could not push a trading signal');
    }
  }
}

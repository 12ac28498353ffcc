import { Logger } from '@nestjs/common';
import { EventsHandler, type IEventHandler } from '@nestjs/cqrs';
import { playerRoom, RealtimeHub } from '../../infrastructure/websocket/realtime-hub.service.js';
import { TRADING_NAMESPACE } from '../trading/gateways/market-rooms.js';
import { AriaAlertRaisedEvent } from './events/aria-alert-raised.event.js';

/** An ARIA alert → trading_signal {type: 'ai_alert', alert} on the recipients' /trading sockets, every node. */
@EventsHandler(AriaAlertRaisedEvent)
export class AriaAlertsRelay implements IEventHandler<AriaAlertRaisedEvent> {
  private readonly logger = new Logger(AriaAlertsRelay.name);

  constructor(private readonly hub: RealtimeHub) {}

  handle(event: AriaAlertRaisedEvent): void {
    if (event.playerIds.length === 0) return;
    try {
      this.hub.publish(TRADING_NAMESPACE, {
        rooms: event.playerIds.map(playerRoom),
        type: 'trading_signal',
        data: { type: 'ai_alert', alert: event.alert },
      });
    } catch (err) {
      this.logger.warn(
        { err, stationId: event.alert.station_id, commodity: event.alert.commodity },
        'Could not push an ARIA alert',
      );
    }
  }
}

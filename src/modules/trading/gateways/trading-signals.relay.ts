import { Logger } from '@nestjs/common';
import { EventsHandler, type IEventHandler } from '@nestjs/cqrs';
import { playerRoom, RealtimeHub } from '../../../infrastructure/websocket/realtime-hub.service.js';
import { AutomationRuleChangedEvent } from '../automation/automation-rule-changed.event.js';
import { TradeExecutedEvent, tradeWire } from '../events/trade-executed.event.js';
import { TRADING_NAMESPACE } from './market-rooms.js';

/**
 * trading_signal on the player's own /trading sockets, every node:
 *  - a committed trade → {type: 'trade_executed', trade_id, ...};
 *  - an automation rule created, executed (with its trade), failed (rule.error says why) or cancelled →
 *    {type: 'automation_update', rule, trade?}.
 */
@EventsHandler(TradeExecutedEvent, AutomationRuleChangedEvent)
export class TradingSignalsRelay implements IEventHandler<TradeExecutedEvent | AutomationRuleChangedEvent> {
  private readonly logger = new Logger(TradingSignalsRelay.name);

  constructor(private readonly hub: RealtimeHub) {}

  handle(event: TradeExecutedEvent | AutomationRuleChangedEvent): void {
    try {
      this.hub.publish(TRADING_NAMESPACE, {
        rooms: [playerRoom(event.playerId)],
        type: 'trading_signal',
        data: event instanceof TradeExecutedEvent ? tradeExecuted(event) : automationUpdate(event),
      });
    } catch (err) {
      this.logger.warn({ err, playerId: event.playerId }, 'Could not push a trading signal');
    }
  }
}

function tradeExecuted(event: TradeExecutedEvent) {
  return { type: 'trade_executed', ...tradeWire(event) };
}

function automationUpdate(event: AutomationRuleChangedEvent) {
  return { type: 'automation_update', rule: event.rule, ...(event.trade ? { trade: event.trade } : {}) };
}

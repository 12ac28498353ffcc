import { Logger } from '@nestjs/common';
import { EventsHandler, type IEventHandler } from '@nestjs/cqrs';
import { CreditsChangedEvent } from '../../players/events/credits-changed.event.js';
import { TradeExecutedEvent } from '../../trading/events/trade-executed.event.js';
import { isIncomeSource } from '../domain/risk-rules.js';
import { RiskSignalsService, type RiskSignal } from '../risk-signals.service.js';
import { TradeRejectedEvent } from '../../trading/events/trade-rejected.event.js';

type Watched = CreditsChangedEvent | TradeExecutedEvent | TradeRejectedEvent;

/**
 * Turns game events into risk signals. Catches and logs its own errors (the bus would swallow them); safe to
 * run twice because every signal carries the id of its source event.
 */
@EventsHandler(CreditsChangedEvent, TradeExecutedEvent, TradeRejectedEvent)
export class RiskSignalsHandler implements IEventHandler<Watched> {
  private readonly logger = new Logger(RiskSignalsHandler.name);

  constructor(private readonly risk: RiskSignalsService) {}

  async handle(event: Watched): Promise<void> {
    try {
      // Queued together, so an event's signals land in the same batch.
      await Promise.all(toSignals(event).map((s) => this.risk.record(s)));
    } catch (err) {
      this.logger.warn({ err, event: event.constructor.name }, 'Recording risk signals failed');
    }
  }
}

export function toSignals(event: Watched): RiskSignal[] {
  if (event instanceof TradeExecutedEvent) {
    const trade: RiskSignal = {
      playerId: event.playerId,
      kind: 'trade',
      stationId: event.stationId,
      amount: Number(event.total),
      sourceId: `trade:${event.tradeId}`,
      at: event.at,
    };
    if (event.action !== 'sell') return [trade];
    return [trade, { ...trade, kind: 'credit_gain', sourceId: `trade-income:${event.tradeId}` }];
  }
  if (event instanceof TradeRejectedEvent) {
    return [
      {
        playerId: event.playerId,
        kind: 'trade_rejected',
        stationId: event.stationId,
        amount: 0,
        sourceId: `rejected:${event.playerId}:${event.at.toISOString()}:${event.code}`,
        at: event.at,
      },
    ];
  }
  const delta = BigInt(event.after) - BigInt(event.before);
  if (delta <= 0n || !isIncomeSource(event.source)) return [];
  return [
    {
      playerId: event.playerId,
      kind: 'credit_gain',
      stationId: null,
      amount: Number(delta),
      sourceId: `credits:${event.playerId}:${event.before}:${event.after}:${event.source}`,
      at: new Date(),
    },
  ];
}

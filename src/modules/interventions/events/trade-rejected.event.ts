/**
 * A trade the server refused (insufficient credits, frozen player, price moved, no stock...). Owned by
 * trading: the lead moves this file to src/modules/trading/events/ and publishes it there; only the import
 * in risk-signals.handler.ts follows it.
 */
export class TradeRejectedEvent {
  constructor(
    readonly playerId: string,
    readonly stationId: string,
    readonly commodity: string,
    readonly action: 'buy' | 'sell',
    readonly code: string,
    readonly at: Date,
  ) {}
}

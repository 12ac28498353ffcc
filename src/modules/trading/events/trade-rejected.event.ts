/**
 * A trade the server refused for a business rule (insufficient credits, frozen player, price moved, no
 * stock...), published by ExecuteTradeHandler; the risk rules count them.
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

/** Published after a trade commits. Amounts in credits; total and creditsAfter are bigint decimal strings. */
export class TradeExecutedEvent {
  constructor(
    readonly tradeId: string,
    readonly playerId: string,
    readonly stationId: string,
    readonly commodity: string,
    readonly action: 'buy' | 'sell',
    readonly quantity: number,
    readonly unitPrice: number,
    readonly total: string,
    readonly creditsAfter: string,
    readonly at: Date,
  ) {}
}

/** The trade as Socket.IO messages carry it (the /admin feed, /player assets_changed, /trading trade_executed). */
export function tradeWire(event: TradeExecutedEvent) {
  return {
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
}

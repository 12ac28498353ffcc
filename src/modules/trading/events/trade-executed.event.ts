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

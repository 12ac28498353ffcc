/**
 * A station market's prices or stock changed (a trade committed, or regeneration ran). The /market gateway
 * relays it as market_update, coalesced per station and commodity, with the market's 24 h volume and latest
 * prediction added there.
 */
export class MarketChangedEvent {
  constructor(
    readonly stationId: string,
    readonly commodity: string,
    readonly buyPrice: number,
    readonly sellPrice: number,
    readonly stock: number,
  ) {}
}

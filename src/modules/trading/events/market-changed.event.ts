/**
 * A station market's prices or stock changed (a trade committed, or regeneration ran). The /market gateway
 * relays it as market_update, coalesced per station and commodity, with the market's 24 h volume and latest
 * prediction added there. `version` is station_markets.version after the change when the writer knows it
 * (regeneration reads it back; a trade's apply_trade() does not return it, and the relay reads the row).
 */
export class MarketChangedEvent {
  constructor(
    readonly stationId: string,
    readonly commodity: string,
    readonly buyPrice: number,
    readonly sellPrice: number,
    readonly stock: number,
    readonly version?: number,
  ) {}
}

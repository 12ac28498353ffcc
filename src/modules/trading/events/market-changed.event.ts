/**
 * A station market's prices or stock changed (a trade committed, or regeneration ran). The /market gateway
 * relays it as market_update, coalesced per station and commodity, with the market's 24 h volume and latest
 * prediction added there. `version` is station_markets.version after the change (regeneration reads it back;
 * a trade knows it: apply_trade() checked the version its plan read, and raised it by one).
 */
export class MarketChangedEvent {
  constructor(
    readonly stationId: string,
    readonly commodity: string,
    readonly buyPrice: number,
    readonly sellPrice: number,
    readonly stock: number,
    readonly version: number,
  ) {}
}

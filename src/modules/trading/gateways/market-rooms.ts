/**
 * /market rooms: every station of a commodity, or one station's commodity (the subscriptions, `market:`), and
 * every socket subscribed to a commodity in either way (for its market_halt; kept by the gateway).
 */
export const MarketRooms = {
  commodity: (commodity: string) => `market:${commodity}`,
  station: (commodity: string, stationId: string) => `market:${commodity}:${stationId}`,
  halts: (commodity: string) => `market-halt:${commodity}`,
};

export const MARKET_NAMESPACE = '/market';
export const TRADING_NAMESPACE = '/trading';

/** /market rooms: every station of a commodity, or one station's commodity. */
export const MarketRooms = {
  commodity: (commodity: string) => `market:${commodity}`,
  station: (commodity: string, stationId: string) => `market:${commodity}:${stationId}`,
};

export const MARKET_NAMESPACE = '/market';
export const TRADING_NAMESPACE = '/trading';

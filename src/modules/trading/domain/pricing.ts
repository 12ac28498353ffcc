import { COMMODITIES, STATION_CLASSES, type Commodity } from './commodities.js';

export interface MarketPrices {
  /** What the station pays a player who sells to it (credits per unit). */
  buyPrice: number;
  /** What the station charges a player who buys from it (credits per unit). */
  sellPrice: number;
}

/**
 * DESIGN.md's price rule: supply_ratio = stock / capacity; mid = base × (1.5 − supply_ratio); the station sells
 * at mid × 1.15 and buys at mid × 0.85; then the class premium; then clamp to the commodity's band (the band
 * wins over a base outside it). Whole credits: the station rounds in its own favour.
 */
export function priceFor(
  commodity: Commodity,
  stationClass: number,
  stock: number,
  capacity: number,
): MarketPrices {
  const band = COMMODITIES[commodity];
  const rule = STATION_CLASSES[stationClass];
  if (!rule) throw new RangeError(`unknown station class ${stationClass}`);
  if (capacity <= 0) throw new RangeError('capacity must be positive');
  const supplyRatio = Math.min(Math.max(stock / capacity, 0), 1);
  const mid = band.base * (1.5 - supplyRatio);
  const clamp = (v: number) => Math.min(Math.max(v, band.min), band.max);
  const sell = clamp(mid * 1.15 * rule.sellPremium);
  const buy = clamp(mid * 0.85 * rule.buyPremium);
  // Rounding can never let a station buy for more than it sells (no free round trip).
  const sellPrice = Math.ceil(sell);
  const buyPrice = Math.min(Math.floor(buy), sellPrice);
  return { buyPrice, sellPrice };
}

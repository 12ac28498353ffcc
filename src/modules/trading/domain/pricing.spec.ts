import { describe, expect, it } from '@jest/globals';
import { COMMODITIES, COMMODITY_NAMES, STATION_CLASS_IDS } from './commodities.js';
import { priceFor } from './pricing.js';

describe('priceFor', () => {
  it('follows the mid-price rule inside the band', () => {
    // luxury_goods base 100, band 75-200; half stock → mid 100; sells 115, buys 85.
    expect(priceFor('luxury_goods', 10, 500, 1000)).toEqual({ sellPrice: 115, buyPrice: 85 });
  });

  it('charges more when stock is scarce and less when it is plentiful', () => {
    const scarce = priceFor('exotic_technology', 10, 10, 1000);
    const plenty = priceFor('exotic_technology', 10, 990, 1000);
    expect(scarce.sellPrice).toBeGreaterThan(plenty.sellPrice);
    expect(scarce.buyPrice).toBeGreaterThan(plenty.buyPrice);
  });

  it('clamps to the band, which wins over a base outside it', () => {
    // equipment base 35 lies below its band 50-120: every price is at least 50.
    for (const stock of [0, 500, 1000]) {
      const p = priceFor('equipment', 3, stock, 1000);
      expect(p.buyPrice).toBeGreaterThanOrEqual(50);
      expect(p.sellPrice).toBeLessThanOrEqual(120);
    }
    // gourmet_food base 80 lies above its band 30-70: never more than 70.
    expect(priceFor('gourmet_food', 10, 0, 1000).sellPrice).toBe(70);
  });

  it('applies class premiums: Black Hole pays +20%, Nova charges +25%', () => {
    // Low stock lifts ore's mid price inside its band, so the premium shows: 21 × 0.85 = 17 vs × 1.2 = 21.
    expect(priceFor('ore', 5, 100, 1000).buyPrice).toBe(17);
    expect(priceFor('ore', 8, 100, 1000).buyPrice).toBe(21);
    const novaSell = priceFor('organics', 9, 500, 1000).sellPrice;
    expect(novaSell).toBeGreaterThan(priceFor('organics', 3, 500, 1000).sellPrice);
  });

  it('never lets a station buy for more than it sells', () => {
    for (const c of COMMODITY_NAMES) {
      for (const cls of STATION_CLASS_IDS) {
        for (const stock of [0, 1, 250, 999, 1000]) {
          const p = priceFor(c, cls, stock, 1000);
          expect(p.buyPrice).toBeLessThanOrEqual(p.sellPrice);
          expect(p.sellPrice).toBeLessThanOrEqual(COMMODITIES[c].max);
          expect(p.buyPrice).toBeGreaterThanOrEqual(Math.min(COMMODITIES[c].min, p.sellPrice));
        }
      }
    }
  });

  it('rejects an unknown class or an empty capacity', () => {
    expect(() => priceFor('ore', 12, 1, 10)).toThrow(RangeError);
    expect(() => priceFor('ore', 1, 1, 0)).toThrow(RangeError);
  });
});

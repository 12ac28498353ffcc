import { describe, expect, it } from '@jest/globals';
import { trendOf } from './market-trend.js';

describe('trendOf', () => {
  it('compares mid prices with a 1 % dead band', () => {
    expect(trendOf({ buyPrice: 100, sellPrice: 120 }, { buyPrice: 110, sellPrice: 130 })).toEqual({
      trend: 'up',
      changePct: 9.09,
    });
    expect(trendOf({ buyPrice: 100, sellPrice: 120 }, { buyPrice: 90, sellPrice: 110 }).trend).toBe('down');
    expect(trendOf({ buyPrice: 100, sellPrice: 120 }, { buyPrice: 101, sellPrice: 120 }).trend).toBe('flat');
  });

  it('is unknown without a reference', () => {
    expect(trendOf(null, { buyPrice: 1, sellPrice: 2 })).toEqual({ trend: 'unknown', changePct: null });
  });
});

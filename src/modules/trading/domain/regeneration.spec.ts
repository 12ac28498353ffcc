import { describe, expect, it } from '@jest/globals';
import { regenerate } from './regeneration.js';

const t0 = new Date('2026-01-01T00:00:00Z');
const at = (ms: number) => new Date(t0.getTime() + ms);

describe('regenerate', () => {
  it('turns elapsed time into whole units and keeps the fraction for later', () => {
    // 100 units/hour = one unit per 36 s; 90 s gives 2 units and 18 s carried over.
    const r = regenerate({ stock: 10, capacity: 100, productionRate: 100, regenAt: t0 }, at(90_000));
    expect(r).toEqual({ stock: 12, regenAt: at(72_000) });
    const r2 = regenerate(
      { stock: 12, capacity: 100, productionRate: 100, regenAt: r!.regenAt },
      at(108_000),
    );
    expect(r2).toEqual({ stock: 13, regenAt: at(108_000) });
  });

  it('stops at capacity and restarts the clock there', () => {
    const r = regenerate({ stock: 99, capacity: 100, productionRate: 3600, regenAt: t0 }, at(60_000));
    expect(r).toEqual({ stock: 100, regenAt: at(60_000) });
    expect(
      regenerate({ stock: 100, capacity: 100, productionRate: 3600, regenAt: t0 }, at(60_000)),
    ).toBeNull();
  });

  it('a negative rate consumes down to zero', () => {
    expect(regenerate({ stock: 5, capacity: 100, productionRate: -3600, regenAt: t0 }, at(3_000))).toEqual({
      stock: 2,
      regenAt: at(3_000),
    });
    expect(regenerate({ stock: 5, capacity: 100, productionRate: -3600, regenAt: t0 }, at(60_000))).toEqual({
      stock: 0,
      regenAt: at(60_000),
    });
    expect(
      regenerate({ stock: 0, capacity: 100, productionRate: -3600, regenAt: t0 }, at(60_000)),
    ).toBeNull();
  });

  it('does nothing without a rate, before a whole unit, or with the clock behind', () => {
    expect(regenerate({ stock: 1, capacity: 100, productionRate: 0, regenAt: t0 }, at(1e9))).toBeNull();
    expect(regenerate({ stock: 1, capacity: 100, productionRate: 10, regenAt: t0 }, at(359_000))).toBeNull();
    expect(regenerate({ stock: 1, capacity: 100, productionRate: 10, regenAt: at(5000) }, t0)).toBeNull();
  });
});

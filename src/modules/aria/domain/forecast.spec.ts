import { describe, expect, it } from '@jest/globals';
import { alertOf, forecast, MIN_SAMPLES, type Forecast, type TrendAggregates } from './forecast.js';

/** A luxury_goods market (band 75-200) at mid 125, seen over 3 hours of 5-minute snapshots. */
const trend = (over: Partial<TrendAggregates> = {}): TrendAggregates => ({
  commodity: 'luxury_goods',
  slopePerMinute: 0,
  r2: 1,
  samples: 36,
  spanMinutes: 180,
  midPrice: 125,
  ...over,
});

const rule = { minChangePct: 10, minConfidence: 0.6 };

describe('forecast', () => {
  it('a constant price is a confident flat forecast', () => {
    // 36 samples: 36 / 42 of the fit; the span covers the horizon.
    expect(forecast(trend(), 60)).toEqual({ predicted_price: 125, confidence: 0.8571, change_pct: 0 });
  });

  it('continues a rising trend from the current mid price', () => {
    expect(forecast(trend({ slopePerMinute: 0.4 }), 60)).toEqual({
      predicted_price: 149,
      confidence: 0.8571,
      change_pct: 19.2,
    });
  });

  it('continues a falling trend', () => {
    expect(forecast(trend({ slopePerMinute: -0.25, midPrice: 130 }), 60)).toEqual({
      predicted_price: 115,
      confidence: 0.8571,
      change_pct: -11.54,
    });
  });

  it('scales with the horizon', () => {
    expect(forecast(trend({ slopePerMinute: 0.1 }), 120)?.predicted_price).toBe(137);
  });

  it("clamps the prediction to the commodity's band", () => {
    expect(forecast(trend({ slopePerMinute: 5 }), 60)).toMatchObject({
      predicted_price: 200,
      change_pct: 60,
    });
    expect(forecast(trend({ slopePerMinute: -5 }), 60)).toMatchObject({
      predicted_price: 75,
      change_pct: -40,
    });
    // organics: band 8-25.
    expect(forecast(trend({ commodity: 'organics', midPrice: 24, slopePerMinute: 1 }), 60)).toMatchObject({
      predicted_price: 25,
      change_pct: 4.17,
    });
  });

  it('a noisy history gives a low confidence', () => {
    const noisy = forecast(trend({ slopePerMinute: 0.4, r2: 0.15 }), 60)!;
    expect(noisy.confidence).toBeCloseTo(0.15 * (36 / 42), 4);
    expect(noisy.confidence).toBeLessThan(0.2);
  });

  it('few samples and a short span lower the confidence', () => {
    const few = forecast(trend({ samples: MIN_SAMPLES }), 60)!;
    expect(few.confidence).toBe(0.5);
    // Seen over 15 minutes, extrapolated over 60: a quarter.
    expect(forecast(trend({ spanMinutes: 15 }), 60)!.confidence).toBeCloseTo(0.8571 / 4, 3);
    expect(forecast(trend({ samples: 1000 }), 60)!.confidence).toBeGreaterThan(0.99);
  });

  it('is null with too few samples or no time between them', () => {
    expect(forecast(trend({ samples: MIN_SAMPLES - 1 }), 60)).toBeNull();
    expect(forecast(trend({ samples: 0 }), 60)).toBeNull();
    expect(forecast(trend({ spanMinutes: 0 }), 60)).toBeNull();
    expect(forecast(trend({ slopePerMinute: null, r2: null }), 60)).toBeNull();
  });

  it('refuses bad input instead of producing nonsense', () => {
    expect(forecast(trend({ slopePerMinute: Number.NaN }), 60)).toBeNull();
    expect(forecast(trend({ r2: Number.POSITIVE_INFINITY }), 60)).toBeNull();
    expect(forecast(trend({ midPrice: 0 }), 60)).toBeNull();
    expect(forecast(trend(), 0)).toBeNull();
    expect(forecast(trend({ commodity: 'plutonium' as never }), 60)).toBeNull();
    // r² outside 0..1 (floating-point error) is held inside it.
    expect(forecast(trend({ r2: 1.0000000002 }), 60)!.confidence).toBe(0.8571);
  });
});

describe('alertOf', () => {
  const f = (change_pct: number, confidence = 0.8): Forecast => ({
    predicted_price: 100 + change_pct,
    confidence,
    change_pct,
  });

  it('qualifies a large, confident change in its direction', () => {
    expect(alertOf(f(10), null, rule)).toEqual({ direction: 'rise', raise: true });
    expect(alertOf(f(-12.5), null, rule)).toEqual({ direction: 'fall', raise: true });
  });

  it('does not qualify a small or unconfident change', () => {
    expect(alertOf(f(9.99), null, rule)).toEqual({ direction: null, raise: false });
    expect(alertOf(f(-30, 0.59), null, rule)).toEqual({ direction: null, raise: false });
    expect(alertOf(f(0, 1), null, { minChangePct: 0, minConfidence: 0 })).toEqual({
      direction: null,
      raise: false,
    });
  });

  it('is edge-triggered: the same direction again raises nothing, a reversal does', () => {
    expect(alertOf(f(15), 'rise', rule)).toEqual({ direction: 'rise', raise: false });
    expect(alertOf(f(-15), 'rise', rule)).toEqual({ direction: 'fall', raise: true });
    expect(alertOf(f(2), 'rise', rule)).toEqual({ direction: null, raise: false });
  });

  it('holds an alert that is on down to half the change and 0.1 less confidence: a hovering trend alerts once', () => {
    // Hovering around the 10 % threshold: 11, 9, 12, 8, 10.5 alerts at the first forecast only.
    let previous: 'rise' | 'fall' | null = null;
    const raised: number[] = [];
    for (const change of [11, 9, 12, 8, 10.5]) {
      const d = alertOf(f(change), previous, rule);
      if (d.raise) raised.push(change);
      previous = d.direction;
    }
    expect(raised).toEqual([11]);
    expect(previous).toBe('rise');

    expect(alertOf(f(5), 'rise', rule)).toEqual({ direction: 'rise', raise: false });
    expect(alertOf(f(4.99), 'rise', rule)).toEqual({ direction: null, raise: false });
    expect(alertOf(f(12, 0.5), 'rise', rule)).toEqual({ direction: 'rise', raise: false });
    expect(alertOf(f(12, 0.49), 'rise', rule)).toEqual({ direction: null, raise: false });
    // Only an alert that is on holds: the same forecasts after a quiet one do not qualify.
    expect(alertOf(f(9), null, rule)).toEqual({ direction: null, raise: false });
    expect(alertOf(f(12, 0.55), null, rule)).toEqual({ direction: null, raise: false });
    // Once it drops below the hold thresholds, the next qualifying forecast alerts again.
    expect(alertOf(f(11), null, rule)).toEqual({ direction: 'rise', raise: true });
  });
});

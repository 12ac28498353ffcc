import { COMMODITIES, type Commodity } from '../../trading/domain/commodities.js';

/**
 * The least-squares trend of one market's recent mid prices ((buy + sell) / 2 of each price_history snapshot)
 * against time in minutes, as Postgres' regr_* aggregates give it, and the market's mid price now.
 */
export interface TrendAggregates {
  commodity: Commodity;
  /** regr_slope: credits per minute. Null when every snapshot has the same timestamp. */
  slopePerMinute: number | null;
  /** regr_r2: the share of the price's variance the line explains (1 for a constant price). */
  r2: number | null;
  /** regr_count: snapshots in the window. */
  samples: number;
  /** Minutes between the oldest and the newest snapshot. */
  spanMinutes: number;
  /** The market's mid price now, from station_markets. */
  midPrice: number;
}

export interface Forecast {
  /** The mid price horizonMinutes ahead, in the commodity's band, 2 decimals. */
  predicted_price: number;
  /** 0..1, 4 decimals (see forecast). */
  confidence: number;
  /** predicted_price against the mid price now, in percent, 2 decimals. */
  change_pct: number;
}

/** Fewer snapshots than this make no forecast (half an hour of the default 5-minute snapshots). */
export const MIN_SAMPLES = 6;
/** The sample count at which the sample factor of the confidence is one half. */
export const SAMPLE_HALF_WEIGHT = 6;

const round = (v: number, decimals: number) => Math.round(v * 10 ** decimals) / 10 ** decimals;

/**
 * The trend continued from the current mid price:
 *
 *   predicted_price = clamp(mid + slope × horizon, band.min, band.max)
 *   confidence      = r² × n / (n + SAMPLE_HALF_WEIGHT) × min(1, span / horizon)
 *
 * It starts from the current mid, not the line's fitted value: a station's price follows its stock, so the jump a
 * trade made since the last snapshot stays, and the mid is known exactly. The confidence is the fit quality (r²),
 * discounted for few samples and for a horizon longer than the span the trend was seen over. A constant price has
 * r² = 1: a confident flat forecast. Null when there are fewer than MIN_SAMPLES snapshots, no time between them, or
 * an input is not a finite number.
 */
export function forecast(t: TrendAggregates, horizonMinutes: number): Forecast | null {
  const band = COMMODITIES[t.commodity];
  const { slopePerMinute: slope, r2, samples, spanMinutes: span, midPrice: mid } = t;
  if (!band || slope === null || r2 === null) return null;
  if (![slope, r2, samples, span, mid, horizonMinutes].every(Number.isFinite)) return null;
  if (samples < MIN_SAMPLES || span <= 0 || mid <= 0 || horizonMinutes <= 0) return null;

  const predicted = round(Math.min(Math.max(mid + slope * horizonMinutes, band.min), band.max), 2);
  const fit = Math.min(Math.max(r2, 0), 1);
  const confidence = fit * (samples / (samples + SAMPLE_HALF_WEIGHT)) * Math.min(1, span / horizonMinutes);
  return {
    predicted_price: predicted,
    confidence: round(confidence, 4),
    change_pct: round(((predicted - mid) / mid) * 100, 2),
  };
}

export type AlertDirection = 'rise' | 'fall';

export interface AlertRule {
  /** |change_pct| at least this (percent). */
  minChangePct: number;
  /** confidence at least this. */
  minConfidence: number;
}

export interface AlertDecision {
  /** The direction this forecast alerts in, stored with it; null when it does not qualify. */
  direction: AlertDirection | null;
  /** True when it is a new alert: qualifying, and the market's previous forecast did not alert this way. */
  raise: boolean;
}

/**
 * Hysteresis: once a market alerts in a direction, its alert stays on (it is stored again, not raised again)
 * while the forecast keeps that direction with at least this share of the change threshold and at most this
 * much less confidence than the threshold. A trend that hovers around the thresholds alerts once, not each
 * time it crosses back over.
 */
export const ALERT_HOLD_CHANGE_FRACTION = 0.5;
export const ALERT_HOLD_CONFIDENCE_MARGIN = 0.1;

/**
 * Edge-triggered: a forecast qualifies with a large enough, confident enough change; it raises an alert only when
 * the market's previous forecast (`previous`, its stored direction) was not already alerting in the same
 * direction. An alert already on holds at the lower thresholds above.
 */
export function alertOf(f: Forecast, previous: AlertDirection | null, rule: AlertRule): AlertDecision {
  if (f.change_pct === 0) return { direction: null, raise: false };
  const direction: AlertDirection = f.change_pct > 0 ? 'rise' : 'fall';
  const held = previous === direction;
  const minChange = held ? rule.minChangePct * ALERT_HOLD_CHANGE_FRACTION : rule.minChangePct;
  const minConfidence = held ? rule.minConfidence - ALERT_HOLD_CONFIDENCE_MARGIN : rule.minConfidence;
  if (Math.abs(f.change_pct) < minChange || f.confidence < minConfidence)
    return { direction: null, raise: false };
  return { direction, raise: !held };
}

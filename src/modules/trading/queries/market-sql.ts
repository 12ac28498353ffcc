/**
 * SQL fragments the market reads share (sm = station_markets). The 24 h volume is a float8, read as a JSON number
 * (exact to 2^53 units): as an int it failed the whole read past 2^31 units a day on one market.
 */
export const VOLUME_24H = `(SELECT coalesce(sum(quantity), 0)::float8 FROM market_transactions mt
   WHERE mt.station_id = sm.station_id AND mt.commodity = sm.commodity
     AND mt.created_at > now() - interval '24 hours')`;

/** ARIA's latest prediction for the market, while its horizon lies ahead (an elapsed one predicts nothing). */
export const LATEST_PREDICTION = `(SELECT jsonb_build_object('predicted_price', predicted_price,
     'confidence', confidence, 'predicted_at', created_at)
   FROM ai_market_predictions p WHERE p.station_id = sm.station_id AND p.commodity = sm.commodity
     AND p.created_at > now() - make_interval(mins => p.horizon_minutes)
   ORDER BY created_at DESC LIMIT 1)`;

export const HALTED = `EXISTS (SELECT 1 FROM market_halts h WHERE h.scope IN ('*', sm.commodity))`;

export interface PredictionRow {
  predicted_price: number | string;
  confidence: number;
  predicted_at: string;
}

export function predictionOf(p: PredictionRow | null | undefined) {
  if (!p) return null;
  return {
    predicted_price: Number(p.predicted_price),
    confidence: Number(p.confidence),
    predicted_at: new Date(p.predicted_at).toISOString(),
  };
}

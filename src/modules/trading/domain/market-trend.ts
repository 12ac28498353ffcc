export type Trend = 'up' | 'down' | 'flat' | 'unknown';

/** Direction of the mid price against a reference (the oldest snapshot of the last 24 h); ±1 % is flat. */
export function trendOf(
  reference: { buyPrice: number; sellPrice: number } | null,
  now: { buyPrice: number; sellPrice: number },
): { trend: Trend; changePct: number | null } {
  if (!reference) return { trend: 'unknown', changePct: null };
  const refMid = (reference.buyPrice + reference.sellPrice) / 2;
  const mid = (now.buyPrice + now.sellPrice) / 2;
  if (refMid <= 0) return { trend: 'unknown', changePct: null };
  const changePct = Math.round(((mid - refMid) / refMid) * 10_000) / 100;
  return { trend: changePct > 1 ? 'up' : changePct < -1 ? 'down' : 'flat', changePct };
}

/** History buckets the API offers, with their Postgres interval. */
export const HISTORY_INTERVALS = {
  '1m': '1 minute',
  '5m': '5 minutes',
  '15m': '15 minutes',
  '1h': '1 hour',
  '6h': '6 hours',
  '1d': '1 day',
} as const;
export type HistoryInterval = keyof typeof HISTORY_INTERVALS;
export const HISTORY_INTERVAL_MS: Record<HistoryInterval, number> = {
  '1m': 60_000,
  '5m': 300_000,
  '15m': 900_000,
  '1h': 3_600_000,
  '6h': 21_600_000,
  '1d': 86_400_000,
};

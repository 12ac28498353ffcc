import type { Priority } from './intervention-status.js';

/** Thresholds of the automatic rules. Defaults are deliberately conservative: a false alarm costs a moderator. */
export interface RiskThresholds {
  /** A player's credits gained in the last hour must reach this many times the population's median... */
  creditGainMultiplier: number;
  /** ...and at least this much in absolute terms. */
  creditGainFloor: number;
  /** Below this many gaining players the median means little: the floor × 10 alone decides. */
  minPopulation: number;
  tradeBurstCount: number;
  tradeBurstWindowMinutes: number;
  rejectedTradeCount: number;
  rejectedWindowMinutes: number;
}

export const DEFAULT_RISK_THRESHOLDS: RiskThresholds = {
  creditGainMultiplier: 10,
  creditGainFloor: 100_000,
  minPopulation: 5,
  tradeBurstCount: 20,
  tradeBurstWindowMinutes: 5,
  rejectedTradeCount: 10,
  rejectedWindowMinutes: 10,
};

export interface RiskVerdict {
  cause: 'credit_gain_anomaly' | 'trade_burst' | 'repeated_rejected_trades';
  category: 'economy' | 'trading';
  priority: Priority;
  /** The risk_score (0..100) the player should have at least. */
  score: number;
  description: string;
  details: Record<string, unknown>;
}

const clampScore = (n: number) => Math.max(0, Math.min(100, Math.round(n)));

export interface GainPopulation {
  /** Players with any gain in the window. */
  players: number;
  /** Median gain per player in the window. */
  median: number;
}

export function creditGainRule(
  gain: number,
  population: GainPopulation,
  t = DEFAULT_RISK_THRESHOLDS,
): RiskVerdict | null {
  if (gain < t.creditGainFloor) return null;
  const small = population.players < t.minPopulation || population.median <= 0;
  const ratio = small ? gain / t.creditGainFloor : gain / population.median;
  const needed = small ? 10 : t.creditGainMultiplier;
  if (ratio < needed) return null;
  const priority: Priority = ratio >= needed * 5 ? 'critical' : ratio >= needed * 2 ? 'high' : 'medium';
  return {
    cause: 'credit_gain_anomaly',
    category: 'economy',
    priority,
    score: clampScore(50 + 10 * Math.log2(ratio / needed)),
    description: `Gained ${gain} credits in the last hour, ${ratio.toFixed(1)}× ${small ? 'the alert floor' : 'the population median'}`,
    details: {
      gain_last_hour: gain,
      population_median: population.median,
      population_players: population.players,
      ratio,
    },
  };
}

export function tradeBurstRule(
  tradesAtStation: number,
  stationId: string,
  t = DEFAULT_RISK_THRESHOLDS,
): RiskVerdict | null {
  if (tradesAtStation < t.tradeBurstCount) return null;
  const ratio = tradesAtStation / t.tradeBurstCount;
  return {
    cause: 'trade_burst',
    category: 'trading',
    priority: ratio >= 3 ? 'high' : 'medium',
    score: clampScore(40 + 15 * Math.log2(ratio)),
    description: `${tradesAtStation} trades at one station within ${t.tradeBurstWindowMinutes} minutes`,
    details: { station_id: stationId, trades: tradesAtStation, window_minutes: t.tradeBurstWindowMinutes },
  };
}

export function rejectedTradesRule(rejected: number, t = DEFAULT_RISK_THRESHOLDS): RiskVerdict | null {
  if (rejected < t.rejectedTradeCount) return null;
  const ratio = rejected / t.rejectedTradeCount;
  return {
    cause: 'repeated_rejected_trades',
    category: 'trading',
    priority: ratio >= 3 ? 'high' : 'medium',
    score: clampScore(35 + 15 * Math.log2(ratio)),
    description: `${rejected} rejected trades within ${t.rejectedWindowMinutes} minutes`,
    details: { rejected, window_minutes: t.rejectedWindowMinutes },
  };
}

/** Sources of CreditsChangedEvent that are not game income (admins, jobs) or are counted elsewhere (trades). */
export function isIncomeSource(source: string): boolean {
  return !/^(admin|bulk|emergency|transfer|trade)/.test(source);
}

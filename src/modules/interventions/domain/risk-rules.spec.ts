import { describe, expect, it } from '@jest/globals';
import { creditGainRule, isIncomeSource, rejectedTradesRule, tradeBurstRule } from './risk-rules.js';

describe('risk rules', () => {
  it('flags gains far above the population median, never small ones', () => {
    expect(creditGainRule(50_000, { players: 100, median: 10 })).toBeNull(); // under the floor
    expect(creditGainRule(200_000, { players: 100, median: 50_000 })).toBeNull(); // only 4x
    const v = creditGainRule(1_000_000, { players: 100, median: 50_000 })!;
    expect(v).toMatchObject({ cause: 'credit_gain_anomaly', priority: 'high' });
    expect(v.score).toBeGreaterThanOrEqual(50);
    expect(creditGainRule(10_000_000, { players: 100, median: 10_000 })!.priority).toBe('critical');
  });

  it('uses the absolute floor when the population is too small to compare', () => {
    expect(creditGainRule(500_000, { players: 1, median: 500_000 })).toBeNull();
    expect(creditGainRule(1_000_000, { players: 1, median: 1_000_000 })).not.toBeNull();
  });

  it('flags trade bursts and repeated rejections at their thresholds', () => {
    expect(tradeBurstRule(19, 's')).toBeNull();
    expect(tradeBurstRule(20, 's')).toMatchObject({ cause: 'trade_burst', priority: 'medium', score: 40 });
    expect(tradeBurstRule(60, 's')!.priority).toBe('high');
    expect(rejectedTradesRule(9)).toBeNull();
    expect(rejectedTradesRule(10)).toMatchObject({ cause: 'repeated_rejected_trades', score: 35 });
  });

  it('counts only game income as gains', () => {
    expect(isIncomeSource('planet_income')).toBe(true);
    expect(isIncomeSource('admin_update')).toBe(false);
    expect(isIncomeSource('bulk_operation')).toBe(false);
    expect(isIncomeSource('trade')).toBe(false);
  });
});

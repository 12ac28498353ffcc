import { describe, expect, it } from '@jest/globals';
import { accountStatusChange, playerVisibleChanges } from './player-update.js';

describe('accountStatusChange', () => {
  it('names transitions as a player client shows them', () => {
    expect(accountStatusChange('active', 'frozen')).toBe('frozen');
    expect(accountStatusChange('frozen', 'active')).toBe('unfrozen');
    expect(accountStatusChange('active', 'banned')).toBe('banned');
    expect(accountStatusChange('banned', 'active')).toBe('unbanned');
    expect(accountStatusChange('banned', 'frozen')).toBe('unbanned');
    expect(accountStatusChange('active', 'suspended')).toBe('suspended');
    expect(accountStatusChange('suspended', 'active')).toBe('reactivated');
  });
});

describe('playerVisibleChanges', () => {
  it('keeps only fields a player may see about itself, with their new values', () => {
    expect(
      playerVisibleChanges({
        turns: { before: 1, after: 2 },
        risk_score: { before: 0, after: 90 },
        activity_score: { before: 0, after: 5 },
        current_sector: { before: 1, after: 7 },
      }),
    ).toEqual({ turns: 2, current_sector: 7 });
  });
});

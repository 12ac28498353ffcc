import { describe, expect, it } from '@jest/globals';
import { applyCargoChanges } from './cargo.js';

describe('applyCargoChanges', () => {
  it('sets and adjusts, dropping empty holds', () => {
    const out = applyCargoChanges({ ore: 10, fuel: 5 }, 100, [
      { commodity: 'ore', mode: 'adjust', quantity: -10 },
      { commodity: 'fuel', mode: 'set', quantity: 20 },
      { commodity: 'organics', mode: 'adjust', quantity: 3 },
    ]);
    expect(out).toEqual({ ok: true, cargo: { fuel: 20, organics: 3 }, used: 23 });
  });

  it('refuses negative quantities and overfilled holds', () => {
    expect(applyCargoChanges({ ore: 1 }, 100, [{ commodity: 'ore', mode: 'adjust', quantity: -2 }])).toEqual({
      ok: false,
      reason: 'negative',
      commodity: 'ore',
    });
    expect(applyCargoChanges({}, 10, [{ commodity: 'ore', mode: 'set', quantity: 11 }])).toEqual({
      ok: false,
      reason: 'capacity',
    });
  });
});

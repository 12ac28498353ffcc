/** A ship's holds: commodity -> units. */
export type Cargo = Record<string, number>;

export interface CargoChange {
  commodity: string;
  mode: 'set' | 'adjust';
  quantity: number;
}

export type CargoOutcome =
  | { ok: true; cargo: Cargo; used: number }
  | { ok: false; reason: 'negative' | 'capacity'; commodity?: string };

/** Applies changes to a hold in order; refuses a negative quantity or a total over capacity. Zero entries vanish. */
export function applyCargoChanges(
  cargo: Cargo,
  capacity: number,
  changes: readonly CargoChange[],
): CargoOutcome {
  const next: Cargo = { ...cargo };
  for (const c of changes) {
    const value = c.mode === 'set' ? c.quantity : (next[c.commodity] ?? 0) + c.quantity;
    if (value < 0) return { ok: false, reason: 'negative', commodity: c.commodity };
    if (value === 0) delete next[c.commodity];
    else next[c.commodity] = value;
  }
  const used = Object.values(next).reduce((a, b) => a + b, 0);
  if (used > capacity) return { ok: false, reason: 'capacity' };
  return { ok: true, cargo: next, used };
}

export interface RegenInput {
  stock: number;
  capacity: number;
  /** Units per hour; negative means the station consumes the commodity. */
  productionRate: number;
  regenAt: Date;
}

export interface RegenResult {
  stock: number;
  regenAt: Date;
}

const HOUR_MS = 3_600_000;

/**
 * Converts the time since regenAt into whole units of production (or consumption). regenAt advances only
 * by the time those units took, so fractions carry over to the next tick; at a limit (full or empty) it
 * jumps to now, because time spent at the limit produces nothing. Returns null when nothing changes.
 */
export function regenerate(m: RegenInput, now: Date): RegenResult | null {
  const rate = m.productionRate;
  if (!Number.isFinite(rate) || rate === 0) return null;
  const atLimit = rate > 0 ? m.stock >= m.capacity : m.stock <= 0;
  if (atLimit) return null;
  const elapsedMs = now.getTime() - m.regenAt.getTime();
  if (elapsedMs <= 0) return null;
  const units = Math.floor((Math.abs(rate) * elapsedMs) / HOUR_MS);
  if (units === 0) return null;
  const target = rate > 0 ? Math.min(m.capacity, m.stock + units) : Math.max(0, m.stock - units);
  const reachedLimit = rate > 0 ? target >= m.capacity : target <= 0;
  const used = Math.abs(target - m.stock);
  const regenAt = reachedLimit
    ? now
    : new Date(m.regenAt.getTime() + Math.ceil((used * HOUR_MS) / Math.abs(rate)));
  return { stock: target, regenAt: regenAt > now ? now : regenAt };
}

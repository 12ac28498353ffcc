import { buildPlayerWhere, type PlayerFilters, type SqlWhere } from '../../players/domain/player-filters.js';

/** What a job runs over, as stored: explicit ids, or the enhanced filter (online resolved at submission). */
export type StoredTarget = { player_ids: string[] } | { filter: PlayerFilters; online_ids?: string[] };

/** The WHERE over `players p` that selects a job's targets. */
export function targetWhere(target: StoredTarget): SqlWhere {
  if ('player_ids' in target) {
    const w = buildPlayerWhere({});
    w.add(`p.id = ANY(${w.param(target.player_ids)}::uuid[])`);
    return w;
  }
  return buildPlayerWhere(target.filter, target.online_ids);
}

/**
 * Operations that read a player's state to decide (set_status, teleport, reset_risk) lock the batch's rows
 * first; those whose guarded UPDATE both decides and returns the old value (adjust_credits, adjust_turns)
 * skip that lock, which halves the writes per player.
 */
export function locksBatch(type: string): boolean {
  return !['adjust_credits', 'adjust_turns', 'send_message'].includes(type);
}

export interface Slice {
  lower: string;
  upper: string | null;
  cursor: string | null;
}

/** Splits the uuid space into `n` equal id ranges: [lower, upper), the last one open-ended. */
export function sliceBounds(n: number): { lower: string; upper: string | null }[] {
  const at = (i: number) => {
    const hex = Math.floor((i * 0x1_0000_0000) / n)
      .toString(16)
      .padStart(8, '0');
    return `${hex}-0000-0000-0000-000000000000`;
  };
  return Array.from({ length: n }, (_, i) => ({ lower: at(i), upper: i === n - 1 ? null : at(i + 1) }));
}

/**
 * The next batch of a slice after its cursor, in id order: the resumption point is a plain id, so a job
 * taken over by another worker continues exactly where the slice's last committed batch ended.
 */
export function nextBatchSql(
  target: StoredTarget,
  slice: Slice,
  limit: number,
  lock = true,
): { sql: string; params: unknown[] } {
  const w = targetWhere(target);
  if (slice.cursor) w.add(`p.id > ${w.param(slice.cursor)}::uuid`);
  else w.add(`p.id >= ${w.param(slice.lower)}::uuid`);
  if (slice.upper) w.add(`p.id < ${w.param(slice.upper)}::uuid`);
  const sql = `SELECT p.id, p.user_id, p.status, p.ban_until, p.credits::text AS credits, p.turns, p.current_sector,
                      p.risk_score, p.active_ship_id
               FROM players p ${w.toSql()} ORDER BY p.id LIMIT ${w.param(limit)}${lock ? ' FOR UPDATE OF p' : ''}`;
  return { sql, params: w.params };
}

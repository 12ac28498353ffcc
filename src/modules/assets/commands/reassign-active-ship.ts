import type { EntityManager } from 'typeorm';

/**
 * After a player lost its active ship (removed, or transferred away), makes its oldest remaining ship the
 * active one, or none when it has no ship left. A player cannot pick an active ship itself, and trades and
 * the default emergency ship actions use the active ship only.
 */
export async function reassignActiveShip(m: EntityManager, playerId: string): Promise<void> {
  await m.query(
    `UPDATE players SET active_ship_id = (SELECT id FROM ships WHERE player_id = $1 ORDER BY created_at, id LIMIT 1)
     WHERE id = $1`,
    [playerId],
  );
}

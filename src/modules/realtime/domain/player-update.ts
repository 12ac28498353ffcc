import type { PlayerStatus } from '../../players/domain/player-status.js';

/** What /admin subscribers can filter on (subscribe {topics}). */
export const UPDATE_TYPES = ['login', 'logout', 'credits', 'status', 'trade', 'assets'] as const;
export type UpdateType = (typeof UPDATE_TYPES)[number];

export interface PlayerUpdate {
  player_id: string;
  update_type: UpdateType;
  data: Record<string, unknown>;
}

/** Player fields a player may see about itself (risk and activity scores stay staff-only). */
const PLAYER_VISIBLE = new Set(['username', 'email', 'credits', 'turns', 'current_sector', 'team_id']);

export function playerVisibleChanges(
  changes: Record<string, { before: unknown; after: unknown }>,
): Record<string, unknown> {
  return Object.fromEntries(
    Object.entries(changes)
      .filter(([field]) => PLAYER_VISIBLE.has(field))
      .map(([field, { after }]) => [field, after]),
  );
}

export type AccountStatusChange = 'frozen' | 'unfrozen' | 'banned' | 'unbanned' | 'suspended' | 'reactivated';

/**
 * Names a status transition the way a player client shows it. Leaving a ban is "unbanned" wherever it lands
 * (a ban lifts back to the status before it, frozen included); `status` says where that is.
 */
export function accountStatusChange(from: PlayerStatus, to: PlayerStatus): AccountStatusChange {
  if (from === 'banned') return 'unbanned';
  if (to === 'frozen') return 'frozen';
  if (to === 'banned') return 'banned';
  if (to === 'suspended') return 'suspended';
  if (from === 'frozen') return 'unfrozen';
  return 'reactivated';
}

/** Room names. /admin: subscriptions; every namespace: each player's own sockets. */
export const Rooms = {
  watchAll: 'watch:all',
  watchPlayer: (playerId: string) => `watch:player:${playerId}`,
};

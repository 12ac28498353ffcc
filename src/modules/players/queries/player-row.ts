import type { PlayerSummaryDto } from '../dto/player.response.dto.js';

/** The columns every player read selects, shaped as the response DTO (bigints and times as text). */
export const PLAYER_COLUMNS = `
  p.id, p.username, p.email, p.credits::text AS credits, p.turns, p.status,
  to_char(p.ban_until AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"') AS ban_until,
  p.team_id, t.name AS team_name, p.current_sector, p.home_sector, p.activity_score, p.risk_score,
  p.aria_trust_level, to_char(p.last_login AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"') AS last_login,
  to_char(p.created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"') AS created_at,
  to_char(p.updated_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"') AS updated_at, p.version`;

export type PlayerRow = Omit<PlayerSummaryDto, 'online'>;

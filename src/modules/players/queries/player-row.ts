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

/**
 * A selected row as the response DTO, picked field by field: one object shape for every row, which a console
 * page of rest/spread copies (`{ sort_key, ...row }`, then `{ ...row, online }`) made ~2.5x slower to build
 * and serialize.
 */
export function toPlayerSummary(r: PlayerRow, online: boolean | null): PlayerSummaryDto {
  return {
    id: r.id,
    username: r.username,
    email: r.email,
    credits: r.credits,
    turns: r.turns,
    status: r.status,
    ban_until: r.ban_until,
    team_id: r.team_id,
    team_name: r.team_name,
    current_sector: r.current_sector,
    home_sector: r.home_sector,
    activity_score: r.activity_score,
    risk_score: r.risk_score,
    aria_trust_level: r.aria_trust_level,
    last_login: r.last_login,
    created_at: r.created_at,
    updated_at: r.updated_at,
    version: r.version,
    online,
  };
}

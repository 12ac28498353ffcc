import { ApiProperty, ApiPropertyOptional, OmitType } from '@nestjs/swagger';
import { PLAYER_STATUSES, type PlayerStatus } from '../domain/player-status.js';

export class PlayerSummaryDto {
  @ApiProperty() id: string;
  @ApiProperty() username: string;
  @ApiProperty() email: string;
  @ApiProperty({ description: 'bigint as a decimal string' }) credits: string;
  @ApiProperty() turns: number;
  @ApiProperty({ enum: PLAYER_STATUSES }) status: PlayerStatus;
  @ApiProperty({ nullable: true, type: String }) ban_until: string | null;
  @ApiProperty({ nullable: true, type: String }) team_id: string | null;
  @ApiProperty({ nullable: true, type: String }) team_name: string | null;
  @ApiProperty() current_sector: number;
  @ApiProperty() home_sector: number;
  @ApiProperty() activity_score: number;
  @ApiProperty() risk_score: number;
  @ApiProperty() aria_trust_level: number;
  @ApiProperty({ nullable: true, type: String }) last_login: string | null;
  @ApiProperty() created_at: string;
  @ApiProperty() updated_at: string;
  @ApiProperty({ description: 'Optimistic concurrency: send it back with an update' }) version: number;
  @ApiProperty({
    nullable: true,
    type: Boolean,
    description: 'null while presence is unknown (Redis unavailable)',
  })
  online: boolean | null;
}

/** GET /players/me and /players/{id}: the record without the console's risk score and presence. */
export class OwnPlayerDto extends OmitType(PlayerSummaryDto, ['risk_score', 'online'] as const) {}

export class PlayerListDto {
  @ApiProperty({ type: [PlayerSummaryDto] }) players: PlayerSummaryDto[];
  @ApiProperty() total_count: number;
  @ApiProperty({
    description: 'true when total_count is the planner estimate (past the exact-count threshold)',
  })
  total_count_estimated: boolean;
  @ApiProperty() page: number;
  @ApiProperty() page_size: number;
  @ApiPropertyOptional({ nullable: true, type: String }) next_cursor: string | null;
  @ApiProperty() sort: string;
  @ApiProperty({ type: Object }) filters_applied: Record<string, unknown>;
}

export class RealtimeAnalyticsDto {
  @ApiProperty() total_players: number;
  @ApiProperty() active_players: number;
  @ApiProperty({ description: 'bigint sum as a decimal string' }) total_credits: string;
  @ApiProperty() players_today: number;
  @ApiProperty() new_players_week: number;
  @ApiProperty({
    nullable: true,
    type: Number,
    description: 'null while presence is unknown (Redis unavailable)',
  })
  players_online: number | null;
  @ApiProperty({ description: 'When the materialized view was last refreshed' }) refreshed_at: string;
}

import { ApiProperty, ApiPropertyOptional, OmitType } from '@nestjs/swagger';
import { INT4_MAX } from '../../../infrastructure/http/validators.js';
import { CargoDto } from '../../assets/dto/cargo.response.dto.js';
import { EmergencyActionSummaryDto } from '../../emergency/dto/emergency.response.dto.js';
import { INTERVENTION_STATUSES, PRIORITIES } from '../../interventions/domain/intervention-status.js';
import { COMMODITY_NAMES } from '../../trading/domain/commodities.js';
import { PLAYER_STATUSES, type PlayerStatus } from '../domain/player-status.js';
import { SORT_FIELDS } from '../domain/player-filters.js';
import { SHIP_TYPES } from '../domain/starting-kit.js';
import { MAX_CREDITS } from './list-players.request.dto.js';
import { UPDATABLE_FIELDS, type UpdatableField } from './update-player.request.dto.js';

const SCORE = { type: 'integer', minimum: 0, maximum: 100 } as const;
const SECTOR = { type: 'integer', minimum: 1, maximum: INT4_MAX } as const;
const COUNT = { type: 'integer', minimum: 0 } as const;
const CREDITS_FILTER = { type: 'integer', minimum: 0, maximum: MAX_CREDITS } as const;
const AS_SENT = 'ISO 8601 as sent: a date, or a date and time';

export class PlayerSummaryDto {
  @ApiProperty() id: string;
  @ApiProperty() username: string;
  @ApiProperty() email: string;
  @ApiProperty({ description: 'bigint as a decimal string' }) credits: string;
  @ApiProperty(COUNT) turns: number;
  @ApiProperty({ enum: PLAYER_STATUSES }) status: PlayerStatus;
  @ApiProperty({ nullable: true, type: String }) ban_until: string | null;
  @ApiProperty({ nullable: true, type: String }) team_id: string | null;
  @ApiProperty({ nullable: true, type: String }) team_name: string | null;
  @ApiProperty(SECTOR) current_sector: number;
  @ApiProperty(SECTOR) home_sector: number;
  @ApiProperty(SCORE) activity_score: number;
  @ApiProperty(SCORE) risk_score: number;
  @ApiProperty({ minimum: 0, maximum: 1, description: 'A fraction (real column)' }) aria_trust_level: number;
  @ApiProperty({ nullable: true, type: String }) last_login: string | null;
  @ApiProperty() created_at: string;
  @ApiProperty() updated_at: string;
  @ApiProperty({
    type: 'integer',
    minimum: 1,
    maximum: INT4_MAX,
    description: 'Optimistic concurrency: send it back with an update',
  })
  version: number;
  @ApiProperty({
    nullable: true,
    type: Boolean,
    description: 'null while presence is unknown (Redis unavailable)',
  })
  online: boolean | null;
}

/** GET /players/me and /players/{id}: the record without the console's risk score and presence. */
export class OwnPlayerDto extends OmitType(PlayerSummaryDto, ['risk_score', 'online'] as const) {}

/** The /players/enhanced filters that were given, as validated (a bulk operation stores its filter so too). */
export class PlayerFiltersDto {
  @ApiPropertyOptional({ minLength: 3, maxLength: 100 }) search?: string;
  @ApiPropertyOptional({ enum: PLAYER_STATUSES }) status?: PlayerStatus;
  @ApiPropertyOptional({ format: 'uuid' }) team_id?: string;
  @ApiPropertyOptional(CREDITS_FILTER) min_credits?: number;
  @ApiPropertyOptional(CREDITS_FILTER) max_credits?: number;
  @ApiPropertyOptional(SCORE) min_risk?: number;
  @ApiPropertyOptional(SCORE) max_risk?: number;
  @ApiPropertyOptional(SCORE) min_activity?: number;
  @ApiPropertyOptional(SCORE) max_activity?: number;
  @ApiPropertyOptional({ description: AS_SENT }) last_login_after?: string;
  @ApiPropertyOptional({ description: AS_SENT }) last_login_before?: string;
  @ApiPropertyOptional({ description: AS_SENT }) created_after?: string;
  @ApiPropertyOptional({ description: AS_SENT }) created_before?: string;
  @ApiPropertyOptional({ type: 'integer', minimum: 1, maximum: INT4_MAX }) sector?: number;
  @ApiPropertyOptional() online?: boolean;
}

export class PlayerListDto {
  @ApiProperty({ type: [PlayerSummaryDto] }) players: PlayerSummaryDto[];
  @ApiProperty(COUNT) total_count: number;
  @ApiProperty({
    description: 'true when total_count is the planner estimate (past the exact-count threshold)',
  })
  total_count_estimated: boolean;
  @ApiProperty({ type: 'integer', minimum: 1, maximum: 10_000 }) page: number;
  @ApiProperty({ type: 'integer', minimum: 1, maximum: 100 }) page_size: number;
  @ApiPropertyOptional({ nullable: true, type: String }) next_cursor: string | null;
  @ApiProperty({ description: `field:asc|desc over ${SORT_FIELDS.join(', ')}`, example: 'created_at:desc' })
  sort: string;
  @ApiProperty({ type: PlayerFiltersDto }) filters_applied: PlayerFiltersDto;
}

export class RealtimeAnalyticsDto {
  @ApiProperty(COUNT) total_players: number;
  @ApiProperty(COUNT) active_players: number;
  @ApiProperty({ description: 'bigint sum as a decimal string' }) total_credits: string;
  @ApiProperty(COUNT) players_today: number;
  @ApiProperty(COUNT) new_players_week: number;
  @ApiProperty({
    ...COUNT,
    nullable: true,
    description: 'null while presence is unknown (Redis unavailable)',
  })
  players_online: number | null;
  @ApiProperty({ description: 'When the materialized view was last refreshed' }) refreshed_at: string;
}

/** A ship as the console shows it: hull, holds and whether it is the one the player flies. */
export class PlayerShipDto {
  @ApiProperty({ format: 'uuid' }) id: string;
  @ApiProperty() name: string;
  @ApiProperty({ enum: SHIP_TYPES }) type: string;
  @ApiProperty({ type: 'integer', minimum: 1 }) sector_id: number;
  @ApiProperty({ type: 'integer', minimum: 1 }) capacity: number;
  @ApiProperty({ type: CargoDto }) cargo: CargoDto;
  @ApiProperty({ type: 'integer', minimum: 0, description: 'Units aboard, at most capacity' })
  cargo_used: number;
  @ApiProperty(SCORE) hull: number;
  @ApiProperty({ description: "The player's active ship" }) active: boolean;
}

export class PlayerPlanetDto {
  @ApiProperty({ format: 'uuid' }) id: string;
  @ApiProperty() name: string;
  @ApiProperty({ example: 'terran' }) type: string;
  @ApiProperty({ type: 'integer', minimum: 1 }) sector_id: number;
  @ApiProperty({ description: 'bigint as a decimal string' }) population: string;
}

/** One row of the trade ledger (market_transactions). */
export class PlayerTradeDto {
  @ApiProperty({ format: 'uuid' }) id: string;
  @ApiProperty({ format: 'uuid' }) station_id: string;
  @ApiProperty({ enum: COMMODITY_NAMES }) commodity: string;
  @ApiProperty({ enum: ['buy', 'sell'] }) action: 'buy' | 'sell';
  @ApiProperty({ type: 'integer', minimum: 1 }) quantity: number;
  @ApiProperty({ type: 'integer', minimum: 0 }) unit_price: number;
  @ApiProperty({ description: 'bigint as a decimal string' }) total: string;
  @ApiProperty({ description: "The player's credits after it (bigint decimal string)" })
  credits_after: string;
  @ApiProperty({ format: 'date-time' }) created_at: string;
}

export class PlayerBanDto {
  @ApiProperty({ format: 'date-time', nullable: true, type: String, description: 'null: never' })
  until: string | null;
  @ApiProperty({ nullable: true, type: String }) reason: string | null;
  @ApiProperty({
    enum: ['active', 'frozen', 'suspended'],
    description: 'The status lifting the ban gives back (the one it interrupted)',
  })
  lifts_to: string;
}

export class PlayerTeamDto {
  @ApiProperty({ format: 'uuid' }) id: string;
  @ApiProperty() name: string;
  @ApiProperty() tag: string;
  @ApiProperty({ type: 'integer', minimum: 1 }) member_count: number;
}

export class PlayerInterventionDto {
  @ApiProperty({ format: 'uuid' }) id: string;
  @ApiProperty({ enum: PRIORITIES }) priority: string;
  @ApiProperty({ example: 'economy' }) category: string;
  @ApiProperty() description: string;
  @ApiProperty({ enum: INTERVENTION_STATUSES.filter((s) => s !== 'resolved' && s !== 'dismissed') })
  status: string;
  @ApiProperty({ format: 'uuid', nullable: true, type: String }) assigned_to: string | null;
  @ApiProperty({ format: 'date-time' }) created_at: string;
}

export class PlayerAuditEntryDto {
  @ApiProperty({ description: 'bigint as a decimal string' }) id: string;
  @ApiProperty({ format: 'date-time' }) occurred_at: string;
  @ApiProperty({ format: 'uuid', nullable: true, type: String }) actor_id: string | null;
  @ApiProperty({ example: 'players.update' }) action: string;
  @ApiProperty({ enum: ['success', 'denied'] }) outcome: string;
  @ApiProperty({ nullable: true, type: String }) reason: string | null;
}

/** GET /admin/players/{id}/detailed: the console's player page. Each list is bounded (20, newest first). */
export class PlayerDetailedDto {
  @ApiProperty({ type: PlayerSummaryDto }) player: PlayerSummaryDto;
  @ApiProperty({ type: PlayerBanDto, nullable: true, description: 'The ban in force; null unless banned' })
  ban: PlayerBanDto | null;
  @ApiProperty({ type: PlayerTeamDto, nullable: true }) team: PlayerTeamDto | null;
  @ApiProperty({ type: [PlayerShipDto] }) ships: PlayerShipDto[];
  @ApiProperty({ type: [PlayerPlanetDto] }) planets: PlayerPlanetDto[];
  @ApiProperty({ type: [PlayerTradeDto], maxItems: 20 }) recent_trades: PlayerTradeDto[];
  @ApiProperty({ type: [EmergencyActionSummaryDto], maxItems: 20 })
  emergency_history: EmergencyActionSummaryDto[];
  @ApiProperty({ type: [PlayerInterventionDto], description: 'Open ones, oldest first' })
  open_interventions: PlayerInterventionDto[];
  @ApiProperty({ type: [PlayerAuditEntryDto], maxItems: 20, description: 'Audit rows about this player' })
  recent_audit: PlayerAuditEntryDto[];
}

/** PUT /admin/players/{id}/comprehensive. */
export class UpdatePlayerResultDto {
  @ApiProperty({ format: 'uuid' }) id: string;
  @ApiProperty({
    type: 'integer',
    minimum: 1,
    description: 'The version after the change (unchanged if nothing changed)',
  })
  version: number;
  @ApiProperty({
    enum: UPDATABLE_FIELDS,
    isArray: true,
    description: 'The fields whose value really changed (empty: it already had every value sent)',
  })
  changed: UpdatableField[];
}

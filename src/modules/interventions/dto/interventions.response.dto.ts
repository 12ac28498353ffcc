import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { INTERVENTION_STATUSES, PRIORITIES } from '../domain/intervention-status.js';

const CATEGORY = { pattern: '^[a-z][a-z0-9_]{1,39}$', example: 'economy' } as const;
const NULLABLE_UUID = { format: 'uuid', nullable: true, type: String } as const;
const VERSION = { type: 'integer', minimum: 1, description: 'Send it back with an update' } as const;

/**
 * What an automatic intervention measured (risk-rules.ts), by cause; {} for one opened by hand.
 * credit_gain_anomaly: gain_last_hour, population_median, population_players, ratio; trade_burst: station_id,
 * trades, window_minutes; repeated_rejected_trades: rejected, window_minutes.
 */
export class InterventionDetailsDto {
  @ApiPropertyOptional({ type: 'integer', minimum: 0, description: 'Credits gained in the last hour' })
  gain_last_hour?: number;
  @ApiPropertyOptional({ minimum: 0, description: "The median player's gain in that hour" })
  population_median?: number;
  @ApiPropertyOptional({ type: 'integer', minimum: 0, description: 'Players with a gain in that hour' })
  population_players?: number;
  @ApiPropertyOptional({ minimum: 0, description: 'The gain against the median (or the alert floor)' })
  ratio?: number;
  @ApiPropertyOptional({ description: 'The station of the burst' }) station_id?: string;
  @ApiPropertyOptional({ type: 'integer', minimum: 1 }) trades?: number;
  @ApiPropertyOptional({ type: 'integer', minimum: 1 }) rejected?: number;
  @ApiPropertyOptional({ type: 'integer', minimum: 1 }) window_minutes?: number;
}

export class InterventionDto {
  @ApiProperty({ format: 'uuid' }) id: string;
  @ApiProperty(NULLABLE_UUID) player_id: string | null;
  @ApiProperty({ nullable: true, type: String, description: "The player's username (null: no player)" })
  player_username: string | null;
  @ApiProperty({ enum: PRIORITIES }) priority: string;
  @ApiProperty(CATEGORY) category: string;
  @ApiProperty({
    nullable: true,
    type: String,
    description: 'One open intervention per player and cause, e.g. trade_burst',
  })
  cause: string | null;
  @ApiProperty() description: string;
  @ApiProperty({ type: InterventionDetailsDto }) details: InterventionDetailsDto;
  @ApiProperty({ enum: INTERVENTION_STATUSES }) status: string;
  @ApiProperty(NULLABLE_UUID) assigned_to: string | null;
  @ApiProperty({ ...NULLABLE_UUID, description: 'null: opened automatically' }) created_by: string | null;
  @ApiProperty(NULLABLE_UUID) template_id: string | null;
  @ApiProperty({ description: 'Opened by a risk rule' }) automatic: boolean;
  @ApiProperty({ nullable: true, type: String }) resolution_notes: string | null;
  @ApiProperty({ format: 'date-time' }) created_at: string;
  @ApiProperty({ format: 'date-time' }) updated_at: string;
  @ApiProperty({
    format: 'date-time',
    nullable: true,
    type: String,
    description: 'Set when resolved or dismissed',
  })
  resolved_at: string | null;
  @ApiProperty(VERSION) version: number;
}

export class InterventionQueueDto {
  @ApiProperty({ type: [InterventionDto], description: 'Most urgent first: priority, then oldest' })
  items: InterventionDto[];
  @ApiProperty({ type: 'integer', minimum: 0 }) total: number;
  @ApiProperty({ type: 'integer', minimum: 1 }) page: number;
  @ApiProperty({ type: 'integer', minimum: 1, maximum: 100 }) page_size: number;
}

export class InterventionTemplateDto {
  @ApiProperty({ format: 'uuid' }) id: string;
  @ApiProperty({ minLength: 3, maxLength: 80 }) name: string;
  @ApiProperty(CATEGORY) category: string;
  @ApiProperty({ enum: PRIORITIES }) priority: string;
  @ApiProperty() description: string;
  @ApiProperty({ type: [String], maxItems: 20 }) suggested_actions: string[];
  @ApiProperty(NULLABLE_UUID) created_by: string | null;
  @ApiProperty({ format: 'date-time' }) created_at: string;
  @ApiProperty({ format: 'date-time' }) updated_at: string;
  @ApiProperty(VERSION) version: number;
}

import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { INT4_MAX } from '../../../infrastructure/http/validators.js';
import { PLAYER_STATUSES } from '../../players/domain/player-status.js';
import { SHIP_TYPES } from '../../players/domain/starting-kit.js';
import { PlayerFiltersDto } from '../../players/dto/player.response.dto.js';
import {
  BULK_OPERATION_TYPES,
  BULK_STATUSES,
  MAX_BAN_HOURS,
  MAX_BULK_CREDITS,
} from '../domain/bulk-parameters.js';

const COUNT = { type: 'integer', minimum: 0 } as const;

/**
 * An operation's parameters as stored (normaliseBulkParameters), each type naming its own: adjust_credits and
 * adjust_turns {amount}; set_status {status, ban_hours}; teleport {sector_id}; send_message {message};
 * grant_ship {ship_type, name}; reset_risk none.
 */
export class BulkParametersDto {
  @ApiPropertyOptional({
    type: 'integer',
    minimum: -MAX_BULK_CREDITS,
    maximum: MAX_BULK_CREDITS,
    description: 'adjust_credits, adjust_turns: the signed change (never 0; turns within ±1,000,000)',
  })
  amount?: number;
  @ApiPropertyOptional({ enum: PLAYER_STATUSES, description: 'set_status' }) status?: string;
  @ApiPropertyOptional({
    type: 'integer',
    minimum: 1,
    maximum: MAX_BAN_HOURS,
    nullable: true,
    description: 'set_status: a ban for that long; null: no end (or not a ban)',
  })
  ban_hours?: number | null;
  @ApiPropertyOptional({ type: 'integer', minimum: 1, maximum: INT4_MAX, description: 'teleport' })
  sector_id?: number;
  @ApiPropertyOptional({ minLength: 1, maxLength: 1000, description: 'send_message' }) message?: string;
  @ApiPropertyOptional({ enum: SHIP_TYPES, description: 'grant_ship' }) ship_type?: string;
  @ApiPropertyOptional({
    type: String,
    nullable: true,
    minLength: 1,
    maxLength: 60,
    description: "grant_ship: the ship's name; null: the type's label",
  })
  name?: string | null;
}

/** What the operation runs over: a list of ids (counted here, not listed) or the enhanced filter. */
export class BulkTargetSummaryDto {
  @ApiPropertyOptional({ type: 'integer', minimum: 1, description: 'Given player_ids: how many' })
  player_ids_count?: number;
  @ApiPropertyOptional({ type: PlayerFiltersDto, description: 'Given a filter: the filter' })
  filter?: PlayerFiltersDto;
}

export class BulkCountsDto {
  @ApiProperty({ ...COUNT, description: 'Targets counted when the operation was created' }) total: number;
  @ApiProperty(COUNT) processed: number;
  @ApiProperty(COUNT) succeeded: number;
  @ApiProperty(COUNT) failed: number;
  @ApiProperty(COUNT) skipped: number;
}

const TIME = { format: 'date-time' } as const;
const NULLABLE_TIME = { format: 'date-time', nullable: true, type: String } as const;

export class BulkOperationDto {
  @ApiProperty({ format: 'uuid' }) id: string;
  @ApiProperty({ enum: BULK_OPERATION_TYPES }) operation_type: string;
  @ApiProperty({ enum: BULK_STATUSES }) status: string;
  @ApiProperty({ minimum: 0, maximum: 1, description: 'Share of the target processed (1 once completed)' })
  progress: number;
  @ApiProperty({ type: BulkCountsDto }) counts: BulkCountsDto;
  @ApiProperty({ type: BulkParametersDto }) parameters: BulkParametersDto;
  @ApiProperty({ type: BulkTargetSummaryDto }) target: BulkTargetSummaryDto;
  @ApiProperty() reason: string;
  @ApiProperty({ format: 'uuid', nullable: true, type: String }) admin_id: string | null;
  @ApiProperty({ nullable: true, type: String }) admin_username: string | null;
  @ApiProperty(COUNT) batches_done: number;
  @ApiProperty({ nullable: true, type: String, description: 'Why it failed' }) error: string | null;
  @ApiProperty({ nullable: true, type: String, description: 'The node running it; null unless running' })
  worker: string | null;
  @ApiProperty(NULLABLE_TIME) cancel_requested_at: string | null;
  @ApiProperty(TIME) created_at: string;
  @ApiProperty(NULLABLE_TIME) started_at: string | null;
  @ApiProperty(NULLABLE_TIME) finished_at: string | null;
  @ApiProperty({ ...NULLABLE_TIME, description: "The worker's last sign of life" }) heartbeat_at:
    string | null;
}

export class BulkOperationListDto {
  @ApiProperty({ type: [BulkOperationDto], description: 'Newest first' }) items: BulkOperationDto[];
  @ApiProperty(COUNT) total: number;
  @ApiProperty({ type: 'integer', minimum: 1 }) page: number;
  @ApiProperty({ type: 'integer', minimum: 1, maximum: 100 }) page_size: number;
}

export class BulkPlayerErrorDto {
  @ApiProperty({ format: 'uuid' }) player_id: string;
  @ApiProperty({ enum: ['failed', 'skipped'] }) outcome: string;
  @ApiProperty({ description: 'Stable code, e.g. BULK.PLAYER_BANNED' }) code: string;
  @ApiProperty() message: string;
  @ApiProperty(TIME) at: string;
}

export class BulkPlayerErrorsDto {
  @ApiProperty({ type: [BulkPlayerErrorDto] }) items: BulkPlayerErrorDto[];
  @ApiProperty(COUNT) total: number;
  @ApiProperty({ type: 'integer', minimum: 1 }) page: number;
  @ApiProperty({ type: 'integer', minimum: 1, maximum: 500 }) page_size: number;
}

export class BulkOperationStatusDto extends BulkOperationDto {
  @ApiProperty({ type: BulkPlayerErrorsDto, description: 'Players failed or skipped, in order, paginated' })
  errors: BulkPlayerErrorsDto;
}

/** 202: the operation is recorded; a worker runs it. A replay of its Idempotency-Key returns this body. */
export class BulkOperationCreatedDto {
  @ApiProperty({ enum: [false] }) dry_run: false;
  @ApiProperty({ format: 'uuid' }) operation_id: string;
  @ApiProperty({ enum: ['pending'] }) status: 'pending';
  @ApiProperty({ type: 'integer', minimum: 1 }) total_targets: number;
}

export class BulkSamplePlayerDto {
  @ApiProperty({ format: 'uuid' }) id: string;
  @ApiProperty() username: string;
  @ApiProperty({ enum: PLAYER_STATUSES }) status: string;
  @ApiProperty({ description: 'bigint as a decimal string' }) credits: string;
}

/** 200: a dry run. Nothing was written. */
export class BulkDryRunDto {
  @ApiProperty({ enum: [true] }) dry_run: true;
  @ApiProperty({ enum: BULK_OPERATION_TYPES }) operation_type: string;
  @ApiProperty(COUNT) total_targets: number;
  @ApiProperty({ type: [BulkSamplePlayerDto], maxItems: 10, description: 'The first targets by id' })
  sample: BulkSamplePlayerDto[];
}

export class BulkCancelResultDto {
  @ApiProperty({ format: 'uuid' }) operation_id: string;
  @ApiProperty({
    enum: ['cancelled', 'running'],
    description: 'cancelled: now (it was pending, or its worker gone); running: it stops after its batch',
  })
  status: string;
  @ApiProperty({ enum: [true] }) cancel_requested: true;
}

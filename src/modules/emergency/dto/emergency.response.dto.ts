import { ApiProperty, ApiPropertyOptional, getSchemaPath } from '@nestjs/swagger';
import { INT4_MAX } from '../../../infrastructure/http/validators.js';
import { CargoDto } from '../../assets/dto/cargo.response.dto.js';
import { PLAYER_STATUSES } from '../../players/domain/player-status.js';
import { EMERGENCY_ACTIONS, MAX_BAN_HOURS, MAX_EMERGENCY_CREDITS } from '../domain/emergency-actions.js';

const SECTOR = { type: 'integer', minimum: 1, maximum: INT4_MAX } as const;
const TURNS = { type: 'integer', minimum: 0 } as const;
const HULL = { type: 'integer', minimum: 0, maximum: 100 } as const;
const REVOKED = {
  type: 'integer',
  minimum: 0,
  description: "The player's refresh tokens revoked (its sockets are disconnected too)",
} as const;

// What each action reports in result_details (EmergencyActionExecutor), one schema per shape.

/** freeze, unfreeze, unban: the status change. */
export class StatusChangeDetailsDto {
  @ApiProperty({ enum: PLAYER_STATUSES }) from: string;
  @ApiProperty({ enum: PLAYER_STATUSES }) to: string;
}

export class BanDetailsDto extends StatusChangeDetailsDto {
  @ApiProperty({ format: 'date-time', nullable: true, type: String, description: 'null: permanent' })
  ban_until: string | null;
  @ApiProperty() permanent: boolean;
  @ApiProperty(REVOKED) refresh_tokens_revoked: number;
}

export class KickDetailsDto {
  @ApiProperty(REVOKED) refresh_tokens_revoked: number;
}

export class TeleportHomeDetailsDto {
  @ApiProperty(SECTOR) from_sector: number;
  @ApiProperty({ ...SECTOR, description: 'The home sector' }) to_sector: number;
}

export class ResetTurnsDetailsDto {
  @ApiProperty(TURNS) from: number;
  @ApiProperty({ ...TURNS, maximum: 1_000_000 }) to: number;
}

export class EmergencyCreditsDetailsDto {
  @ApiProperty({ type: 'integer', minimum: 1, maximum: MAX_EMERGENCY_CREDITS }) amount: number;
  @ApiProperty({ description: 'bigint as a decimal string' }) credits_before: string;
  @ApiProperty({ description: 'bigint as a decimal string' }) credits_after: string;
}

export class ClearedShipDto {
  @ApiProperty({ format: 'uuid' }) ship_id: string;
  @ApiProperty({ type: CargoDto, description: 'What was in its holds' }) cargo: CargoDto;
}

export class ClearCargoDetailsDto {
  @ApiProperty({ type: [ClearedShipDto], description: 'The ships that had cargo (empty: none had)' })
  ships_cleared: ClearedShipDto[];
}

export class RepairShipDetailsDto {
  @ApiProperty({ format: 'uuid' }) ship_id: string;
  @ApiProperty(HULL) hull_before: number;
  @ApiProperty({ type: 'integer', enum: [100] }) hull_after: number;
}

/** Every result_details shape; ApiExtraModels lists them where a route refers to them by anyOf. */
export const EMERGENCY_DETAILS = [
  StatusChangeDetailsDto,
  BanDetailsDto,
  KickDetailsDto,
  TeleportHomeDetailsDto,
  ResetTurnsDetailsDto,
  EmergencyCreditsDetailsDto,
  ClearCargoDetailsDto,
  RepairShipDetailsDto,
];

const ANY_DETAILS = {
  description: "The action's details: the shape of its action (see each single-player route)",
  anyOf: EMERGENCY_DETAILS.map((d) => ({ $ref: getSchemaPath(d) })),
};

class EmergencyResultFieldsDto {
  @ApiProperty({ format: 'uuid', description: 'Its admin_emergency_actions row (see history)' })
  action_id: string;
  @ApiProperty({ format: 'uuid' }) player_id: string;
  @ApiProperty({
    enum: ['success', 'no_change'],
    description: 'no_change: the player already was as asked (nothing was written but the record)',
  })
  result_status: 'success' | 'no_change';
}

/** One action on one player, as any action reports it (the bulk route, a history row). */
export class EmergencyResultDto extends EmergencyResultFieldsDto {
  @ApiProperty({ enum: EMERGENCY_ACTIONS }) action: string;
  @ApiProperty(ANY_DETAILS) result_details: Record<string, unknown>;
}

// The single-player routes: each answers its own action and details. A replay of the Idempotency-Key returns the
// same body.

export class StatusChangeResultDto extends EmergencyResultFieldsDto {
  @ApiProperty({ enum: ['freeze', 'unfreeze', 'unban'] }) action: string;
  @ApiProperty({ type: StatusChangeDetailsDto }) result_details: StatusChangeDetailsDto;
}

export class BanResultDto extends EmergencyResultFieldsDto {
  @ApiProperty({ enum: ['ban'] }) action: 'ban';
  @ApiProperty({ type: BanDetailsDto }) result_details: BanDetailsDto;
}

export class KickResultDto extends EmergencyResultFieldsDto {
  @ApiProperty({ enum: ['kick'] }) action: 'kick';
  @ApiProperty({ type: KickDetailsDto }) result_details: KickDetailsDto;
}

export class TeleportHomeResultDto extends EmergencyResultFieldsDto {
  @ApiProperty({ enum: ['teleport_home'] }) action: 'teleport_home';
  @ApiProperty({ type: TeleportHomeDetailsDto }) result_details: TeleportHomeDetailsDto;
}

export class ResetTurnsResultDto extends EmergencyResultFieldsDto {
  @ApiProperty({ enum: ['reset_turns'] }) action: 'reset_turns';
  @ApiProperty({ type: ResetTurnsDetailsDto }) result_details: ResetTurnsDetailsDto;
}

export class EmergencyCreditsResultDto extends EmergencyResultFieldsDto {
  @ApiProperty({ enum: ['emergency_credits'] }) action: 'emergency_credits';
  @ApiProperty({ type: EmergencyCreditsDetailsDto }) result_details: EmergencyCreditsDetailsDto;
}

export class ClearCargoResultDto extends EmergencyResultFieldsDto {
  @ApiProperty({ enum: ['clear_cargo'] }) action: 'clear_cargo';
  @ApiProperty({ type: ClearCargoDetailsDto }) result_details: ClearCargoDetailsDto;
}

export class RepairShipResultDto extends EmergencyResultFieldsDto {
  @ApiProperty({ enum: ['repair_ship'] }) action: 'repair_ship';
  @ApiProperty({ type: RepairShipDetailsDto }) result_details: RepairShipDetailsDto;
}

export class BulkEmergencyErrorDto {
  @ApiProperty({ description: 'Stable code, e.g. EMERGENCY.ILLEGAL_TRANSITION' }) code: string;
  @ApiProperty() detail: string;
}

export class BulkEmergencyItemDto {
  @ApiProperty({ format: 'uuid' }) player_id: string;
  @ApiProperty() ok: boolean;
  @ApiPropertyOptional({ type: EmergencyResultDto, description: 'ok: what was done' })
  result?: EmergencyResultDto;
  @ApiPropertyOptional({ type: BulkEmergencyErrorDto, description: 'not ok: why not' })
  error?: BulkEmergencyErrorDto;
}

/** POST /admin/players/emergency/bulk. A replay of its Idempotency-Key returns this body. */
export class BulkEmergencyResultDto {
  @ApiProperty({ enum: EMERGENCY_ACTIONS }) action: string;
  @ApiProperty({ type: 'integer', minimum: 0 }) succeeded: number;
  @ApiProperty({ type: 'integer', minimum: 0 }) failed: number;
  @ApiProperty({ type: [BulkEmergencyItemDto], description: 'One per distinct player id, in request order' })
  results: BulkEmergencyItemDto[];
}

/** The parameters an action was taken with, as recorded (none for most actions). */
export class EmergencyActionParamsDto {
  @ApiPropertyOptional({
    type: 'integer',
    minimum: 1,
    maximum: MAX_BAN_HOURS,
    nullable: true,
    description: 'ban: its hours; null on a permanent one',
  })
  duration_hours?: number | null;
  @ApiPropertyOptional({ enum: [true], type: Boolean, description: 'ban without end' }) permanent?: true;
  @ApiPropertyOptional({
    type: 'integer',
    minimum: 1,
    maximum: MAX_EMERGENCY_CREDITS,
    description: 'emergency_credits',
  })
  amount?: number;
  @ApiPropertyOptional({ type: 'integer', minimum: 0, maximum: 1_000_000, description: 'reset_turns' })
  turns?: number;
  @ApiPropertyOptional({ format: 'uuid', description: 'clear_cargo, repair_ship: the ship named' })
  ship_id?: string;
}

/** An admin_emergency_actions row without its parameters and details (the player page lists these). */
export class EmergencyActionSummaryDto {
  @ApiProperty({ format: 'uuid' }) id: string;
  @ApiProperty({ enum: EMERGENCY_ACTIONS }) action_type: string;
  @ApiProperty() reason: string;
  @ApiProperty({
    format: 'uuid',
    nullable: true,
    type: String,
    description: 'null: the system (a ban expiring)',
  })
  admin_id: string | null;
  @ApiProperty({ enum: ['success', 'no_change'] }) result_status: string;
  @ApiProperty({ format: 'date-time' }) created_at: string;
}

export class EmergencyHistoryEntryDto extends EmergencyActionSummaryDto {
  @ApiProperty({ type: EmergencyActionParamsDto }) action_details: EmergencyActionParamsDto;
  @ApiProperty(ANY_DETAILS) result_details: Record<string, unknown>;
}

export class EmergencyHistoryDto {
  @ApiProperty({ format: 'uuid' }) player_id: string;
  @ApiProperty({ type: [EmergencyHistoryEntryDto], description: 'Newest first' })
  items: EmergencyHistoryEntryDto[];
  @ApiProperty({ type: 'integer', minimum: 0 }) total: number;
  @ApiProperty({ type: 'integer', minimum: 1 }) page: number;
  @ApiProperty({ type: 'integer', minimum: 1, maximum: 100 }) page_size: number;
}

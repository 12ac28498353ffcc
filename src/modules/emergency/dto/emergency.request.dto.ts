import { PageQueryDto } from '../../../infrastructure/http/page-query.dto.js';
import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { ArrayMinSize, ArrayMaxSize, IsArray, IsBoolean, IsIn, IsInt, Max, Min } from 'class-validator';
import { IsId, IsReason, Optional } from '../../../infrastructure/http/validators.js';
import { STARTING_TURNS } from '../../players/domain/starting-kit.js';
import {
  EMERGENCY_ACTIONS,
  MAX_BAN_HOURS,
  MAX_EMERGENCY_CREDITS,
  MAX_RESET_TURNS,
} from '../domain/emergency-actions.js';

const BAN_HOURS = { type: 'integer', minimum: 1, maximum: MAX_BAN_HOURS } as const;
const CREDITS = { type: 'integer', minimum: 1, maximum: MAX_EMERGENCY_CREDITS } as const;
const TURNS = { type: 'integer', minimum: 0, maximum: MAX_RESET_TURNS } as const;

export class EmergencyReasonDto {
  @ApiProperty({ minLength: 3, maxLength: 500, description: 'Why; recorded in the audit log' })
  @IsReason()
  reason: string;
}

export class BanRequestDto extends EmergencyReasonDto {
  @ApiPropertyOptional({ ...BAN_HOURS, description: 'Hours until the ban lifts itself' })
  @Optional()
  @IsInt()
  @Min(1)
  @Max(MAX_BAN_HOURS)
  duration_hours?: number;

  @ApiPropertyOptional({ description: 'true for a ban without end (instead of duration_hours)' })
  @Optional()
  @IsBoolean()
  permanent?: boolean;
}

export class ResetTurnsRequestDto extends EmergencyReasonDto {
  @ApiPropertyOptional({ ...TURNS, default: STARTING_TURNS })
  @Optional()
  @IsInt()
  @Min(0)
  @Max(MAX_RESET_TURNS)
  turns?: number;
}

export class EmergencyCreditsRequestDto extends EmergencyReasonDto {
  @ApiProperty(CREDITS)
  @IsInt()
  @Min(1)
  @Max(MAX_EMERGENCY_CREDITS)
  amount: number;
}

export class ShipActionRequestDto extends EmergencyReasonDto {
  @ApiPropertyOptional({
    format: 'uuid',
    description: 'Default: every ship (clear_cargo) or the active ship (repair_ship)',
  })
  @Optional()
  @IsId()
  ship_id?: string;
}

export class BulkEmergencyRequestDto extends EmergencyReasonDto {
  @ApiProperty({ enum: EMERGENCY_ACTIONS })
  @IsIn(EMERGENCY_ACTIONS)
  action: (typeof EMERGENCY_ACTIONS)[number];

  @ApiProperty({ type: [String], format: 'uuid', description: 'Capped by EMERGENCY_BULK_MAX (default 100)' })
  @IsArray()
  @ArrayMinSize(1)
  @ArrayMaxSize(10_000)
  @IsId({ each: true })
  player_ids: string[];

  // Bounded per action by normaliseEmergencyParams (400 VALIDATION_FAILED naming the field).
  @ApiPropertyOptional({ ...BAN_HOURS, description: 'ban' }) @Optional() @IsInt() duration_hours?: number;
  @ApiPropertyOptional({ description: 'ban' }) @Optional() @IsBoolean() permanent?: boolean;
  @ApiPropertyOptional({ ...CREDITS, description: 'emergency_credits' }) @Optional() @IsInt() amount?: number;
  @ApiPropertyOptional({ ...TURNS, description: `reset_turns (default ${STARTING_TURNS})` })
  @Optional()
  @IsInt()
  turns?: number;
  @ApiPropertyOptional({ format: 'uuid' }) @Optional() @IsId() ship_id?: string;
}

export class EmergencyHistoryRequestDto extends PageQueryDto {}

import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsEmail, IsIn, IsInt, IsNumber, Matches, Max, MaxLength, Min } from 'class-validator';
import {
  INT4_MAX,
  IsFutureTimestamp,
  IsId,
  IsReason,
  IsTimestamp,
  Nullable,
  Optional,
} from '../../../infrastructure/http/validators.js';
import { PLAYER_STATUSES, type PlayerStatus } from '../domain/player-status.js';
import { USERNAME_PATTERN } from '../../auth/dto/auth.request.dto.js';

/**
 * Every field but reason is optional, and an omitted one is left alone. null is refused except where it
 * means something: team_id (leave the team) and ban_until (a ban without end).
 */
export class UpdatePlayerRequestDto {
  @ApiProperty({ description: 'Why: recorded in the audit log', minLength: 3 })
  @IsReason()
  reason: string;

  @ApiPropertyOptional({ description: 'The version you read (or send If-Match)' })
  @Optional()
  @IsInt()
  @Min(1)
  @Max(INT4_MAX)
  version?: number;

  @ApiPropertyOptional() @Optional() @Matches(USERNAME_PATTERN) username?: string;
  @ApiPropertyOptional() @Optional() @IsEmail() @MaxLength(254) email?: string;

  @ApiPropertyOptional({ description: 'New balance (whole credits)' })
  @Optional()
  @IsInt()
  @Min(0)
  @Max(1e15)
  credits?: number;

  @ApiPropertyOptional() @Optional() @IsInt() @Min(0) @Max(1_000_000) turns?: number;
  @ApiPropertyOptional({ enum: PLAYER_STATUSES }) @Optional() @IsIn(PLAYER_STATUSES) status?: PlayerStatus;

  @ApiPropertyOptional({
    nullable: true,
    description:
      'When the ban lifts, in the future (null: permanent). Only with status "banned" (omitted there: permanent), or alone while a ban is in force',
  })
  @Nullable()
  @IsTimestamp()
  @IsFutureTimestamp({ message: 'ban_until must be in the future (an end already past is no ban)' })
  ban_until?: string | null;

  @ApiPropertyOptional({ nullable: true, description: 'A team id, or null to leave the team' })
  @Nullable()
  @IsId()
  team_id?: string | null;

  @ApiPropertyOptional() @Optional() @IsInt() @Min(1) @Max(INT4_MAX) current_sector?: number;
  @ApiPropertyOptional() @Optional() @IsInt() @Min(0) @Max(100) activity_score?: number;
  @ApiPropertyOptional() @Optional() @IsInt() @Min(0) @Max(100) risk_score?: number;
  @ApiPropertyOptional() @Optional() @IsNumber() @Min(0) @Max(1) aria_trust_level?: number;
}

export const UPDATABLE_FIELDS = [
  'username',
  'email',
  'credits',
  'turns',
  'status',
  'ban_until',
  'team_id',
  'current_sector',
  'activity_score',
  'risk_score',
  'aria_trust_level',
] as const;
export type UpdatableField = (typeof UPDATABLE_FIELDS)[number];

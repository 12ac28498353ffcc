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
import { MAX_CREDITS } from './list-players.request.dto.js';

const MAX_TURNS = 1_000_000;
const SCORE = { type: 'integer', minimum: 0, maximum: 100 } as const;

/**
 * Every field but reason is optional, and an omitted one is left alone. null is refused except where it
 * means something: team_id (leave the team) and ban_until (a ban without end).
 */
export class UpdatePlayerRequestDto {
  @ApiProperty({ description: 'Why: recorded in the audit log', minLength: 3 })
  @IsReason()
  reason: string;

  @ApiPropertyOptional({
    type: 'integer',
    minimum: 1,
    maximum: INT4_MAX,
    description: 'The version you read (or send If-Match)',
  })
  @Optional()
  @IsInt()
  @Min(1)
  @Max(INT4_MAX)
  version?: number;

  @ApiPropertyOptional() @Optional() @Matches(USERNAME_PATTERN) username?: string;
  @ApiPropertyOptional() @Optional() @IsEmail() @MaxLength(254) email?: string;

  @ApiPropertyOptional({
    type: 'integer',
    minimum: 0,
    maximum: MAX_CREDITS,
    description: 'New balance (whole credits)',
  })
  @Optional()
  @IsInt()
  @Min(0)
  @Max(MAX_CREDITS)
  credits?: number;

  @ApiPropertyOptional({ type: 'integer', minimum: 0, maximum: MAX_TURNS })
  @Optional()
  @IsInt()
  @Min(0)
  @Max(MAX_TURNS)
  turns?: number;

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

  @ApiPropertyOptional({ type: 'integer', minimum: 1, maximum: INT4_MAX })
  @Optional()
  @IsInt()
  @Min(1)
  @Max(INT4_MAX)
  current_sector?: number;

  @ApiPropertyOptional(SCORE) @Optional() @IsInt() @Min(0) @Max(100) activity_score?: number;
  @ApiPropertyOptional(SCORE) @Optional() @IsInt() @Min(0) @Max(100) risk_score?: number;
  @ApiPropertyOptional({ minimum: 0, maximum: 1, description: 'A fraction' })
  @Optional()
  @IsNumber()
  @Min(0)
  @Max(1)
  aria_trust_level?: number;
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

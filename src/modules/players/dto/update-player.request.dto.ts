import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import {
  IsEmail,
  IsIn,
  IsInt,
  IsISO8601,
  IsNumber,
  IsOptional,
  IsString,
  IsUUID,
  Matches,
  Max,
  MaxLength,
  Min,
  MinLength,
  ValidateIf,
} from 'class-validator';
import { PLAYER_STATUSES, type PlayerStatus } from '../domain/player-status.js';
import { USERNAME_PATTERN } from '../../auth/dto/auth.request.dto.js';

export class UpdatePlayerRequestDto {
  @ApiProperty({ description: 'Why: recorded in the audit log', minLength: 3 })
  @IsString()
  @MinLength(3)
  @MaxLength(500)
  reason: string;

  @ApiPropertyOptional({ description: 'The version you read (or send If-Match)' })
  @IsOptional()
  @IsInt()
  @Min(1)
  version?: number;

  @ApiPropertyOptional() @IsOptional() @Matches(USERNAME_PATTERN) username?: string;
  @ApiPropertyOptional() @IsOptional() @IsEmail() @MaxLength(254) email?: string;

  @ApiPropertyOptional({ description: 'New balance (whole credits)' })
  @IsOptional()
  @IsInt()
  @Min(0)
  @Max(1e15)
  credits?: number;

  @ApiPropertyOptional() @IsOptional() @IsInt() @Min(0) @Max(1_000_000) turns?: number;
  @ApiPropertyOptional({ enum: PLAYER_STATUSES }) @IsOptional() @IsIn(PLAYER_STATUSES) status?: PlayerStatus;

  @ApiPropertyOptional({ description: 'With status "banned": when the ban lifts (omit for permanent)' })
  @IsOptional()
  @IsISO8601({ strict: true })
  ban_until?: string;

  @ApiPropertyOptional({ nullable: true, description: 'A team id, or null to leave the team' })
  @IsOptional()
  @ValidateIf((_, v) => v !== null)
  @IsUUID()
  team_id?: string | null;

  @ApiPropertyOptional() @IsOptional() @IsInt() @Min(1) current_sector?: number;
  @ApiPropertyOptional() @IsOptional() @IsInt() @Min(0) @Max(100) activity_score?: number;
  @ApiPropertyOptional() @IsOptional() @IsInt() @Min(0) @Max(100) risk_score?: number;
  @ApiPropertyOptional() @IsOptional() @IsNumber() @Min(0) @Max(1) aria_trust_level?: number;
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

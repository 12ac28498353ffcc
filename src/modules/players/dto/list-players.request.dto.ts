import { ApiPropertyOptional } from '@nestjs/swagger';
import { Transform, Type } from 'class-transformer';
import {
  IsBoolean,
  IsIn,
  IsInt,
  IsISO8601,
  IsOptional,
  IsString,
  IsUUID,
  Matches,
  Max,
  MaxLength,
  Min,
  MinLength,
} from 'class-validator';
import { PLAYER_STATUSES } from '../domain/player-status.js';
import { SORT_FIELDS } from '../domain/player-filters.js';

const toBoolean = ({ value }: { value: unknown }) =>
  value === 'true' ? true : value === 'false' ? false : value;
const MAX_CREDITS = 1e15;

export class ListPlayersRequestDto {
  @ApiPropertyOptional({
    description: 'Case-insensitive substring of username or email (3+ chars), or an exact player id',
  })
  @IsOptional()
  @IsString()
  @MinLength(3)
  @MaxLength(100)
  search?: string;

  @ApiPropertyOptional({ enum: PLAYER_STATUSES })
  @IsOptional()
  @IsIn(PLAYER_STATUSES)
  status?: string;

  @ApiPropertyOptional({ format: 'uuid' })
  @IsOptional()
  @IsUUID()
  team_id?: string;

  @ApiPropertyOptional()
  @IsOptional()
  @Type(() => Number)
  @IsInt()
  @Min(0)
  @Max(MAX_CREDITS)
  min_credits?: number;
  @ApiPropertyOptional()
  @IsOptional()
  @Type(() => Number)
  @IsInt()
  @Min(0)
  @Max(MAX_CREDITS)
  max_credits?: number;
  @ApiPropertyOptional() @IsOptional() @Type(() => Number) @IsInt() @Min(0) @Max(100) min_risk?: number;
  @ApiPropertyOptional() @IsOptional() @Type(() => Number) @IsInt() @Min(0) @Max(100) max_risk?: number;
  @ApiPropertyOptional() @IsOptional() @Type(() => Number) @IsInt() @Min(0) @Max(100) min_activity?: number;
  @ApiPropertyOptional() @IsOptional() @Type(() => Number) @IsInt() @Min(0) @Max(100) max_activity?: number;

  @ApiPropertyOptional({ format: 'date-time' })
  @IsOptional()
  @IsISO8601({ strict: true })
  last_login_after?: string;
  @ApiPropertyOptional({ format: 'date-time' })
  @IsOptional()
  @IsISO8601({ strict: true })
  last_login_before?: string;
  @ApiPropertyOptional({ format: 'date-time' })
  @IsOptional()
  @IsISO8601({ strict: true })
  created_after?: string;
  @ApiPropertyOptional({ format: 'date-time' })
  @IsOptional()
  @IsISO8601({ strict: true })
  created_before?: string;

  @ApiPropertyOptional({ description: 'Current sector id' })
  @IsOptional()
  @Type(() => Number)
  @IsInt()
  @Min(1)
  sector?: number;

  @ApiPropertyOptional({ description: 'Only players online now (true) or offline (false)' })
  @IsOptional()
  @Transform(toBoolean)
  @IsBoolean()
  online?: boolean;

  @ApiPropertyOptional({
    description: `field:asc|desc over ${SORT_FIELDS.join(', ')}`,
    example: 'credits:desc',
  })
  @IsOptional()
  @Matches(new RegExp(`^(${SORT_FIELDS.join('|')})(:(asc|desc))?$`), {
    message: `sort must be field:asc|desc with field one of ${SORT_FIELDS.join(', ')}`,
  })
  sort?: string;

  @ApiPropertyOptional({ default: 1, description: 'Offset paging; prefer cursor past the first pages' })
  @IsOptional()
  @Type(() => Number)
  @IsInt()
  @Min(1)
  @Max(10_000)
  page?: number;

  @ApiPropertyOptional({ default: 25, maximum: 100 })
  @IsOptional()
  @Type(() => Number)
  @IsInt()
  @Min(1)
  @Max(100)
  limit?: number;

  @ApiPropertyOptional({ description: 'next_cursor from the previous page (keyset paging; overrides page)' })
  @IsOptional()
  @IsString()
  @MaxLength(500)
  cursor?: string;
}

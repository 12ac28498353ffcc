import { ApiPropertyOptional } from '@nestjs/swagger';
import { Transform } from 'class-transformer';
import { IsBoolean, IsIn, IsInt, IsString, Matches, Max, MaxLength, Min, MinLength } from 'class-validator';
import {
  INT4_MAX,
  IntFromQuery,
  IsId,
  IsTimestamp,
  Optional,
} from '../../../infrastructure/http/validators.js';
import { PLAYER_STATUSES } from '../domain/player-status.js';
import { SORT_FIELDS } from '../domain/player-filters.js';

const toBoolean = ({ value }: { value: unknown }) =>
  value === 'true' ? true : value === 'false' ? false : value;
export const MAX_CREDITS = 1e15;
const CREDITS = { type: 'integer', minimum: 0, maximum: MAX_CREDITS } as const;
const SCORE = { type: 'integer', minimum: 0, maximum: 100 } as const;

export class ListPlayersRequestDto {
  @ApiPropertyOptional({
    description: 'Case-insensitive substring of username or email (3+ chars), or an exact player id',
  })
  @Optional()
  @IsString()
  @MinLength(3)
  @MaxLength(100)
  search?: string;

  @ApiPropertyOptional({ enum: PLAYER_STATUSES })
  @Optional()
  @IsIn(PLAYER_STATUSES)
  status?: string;

  @ApiPropertyOptional({ format: 'uuid' })
  @Optional()
  @IsId()
  team_id?: string;

  @ApiPropertyOptional(CREDITS)
  @Optional()
  @IntFromQuery()
  @IsInt()
  @Min(0)
  @Max(MAX_CREDITS)
  min_credits?: number;
  @ApiPropertyOptional(CREDITS)
  @Optional()
  @IntFromQuery()
  @IsInt()
  @Min(0)
  @Max(MAX_CREDITS)
  max_credits?: number;
  @ApiPropertyOptional(SCORE) @Optional() @IntFromQuery() @IsInt() @Min(0) @Max(100) min_risk?: number;
  @ApiPropertyOptional(SCORE) @Optional() @IntFromQuery() @IsInt() @Min(0) @Max(100) max_risk?: number;
  @ApiPropertyOptional(SCORE) @Optional() @IntFromQuery() @IsInt() @Min(0) @Max(100) min_activity?: number;
  @ApiPropertyOptional(SCORE) @Optional() @IntFromQuery() @IsInt() @Min(0) @Max(100) max_activity?: number;

  @ApiPropertyOptional({ format: 'date-time' })
  @Optional()
  @IsTimestamp()
  last_login_after?: string;
  @ApiPropertyOptional({ format: 'date-time' })
  @Optional()
  @IsTimestamp()
  last_login_before?: string;
  @ApiPropertyOptional({ format: 'date-time' })
  @Optional()
  @IsTimestamp()
  created_after?: string;
  @ApiPropertyOptional({ format: 'date-time' })
  @Optional()
  @IsTimestamp()
  created_before?: string;

  @ApiPropertyOptional({ type: 'integer', minimum: 1, maximum: INT4_MAX, description: 'Current sector id' })
  @Optional()
  @IntFromQuery()
  @IsInt()
  @Min(1)
  @Max(INT4_MAX)
  sector?: number;

  @ApiPropertyOptional({ description: 'Only players online now (true) or offline (false)' })
  @Optional()
  @Transform(toBoolean)
  @IsBoolean()
  online?: boolean;

  @ApiPropertyOptional({
    description: `field:asc|desc over ${SORT_FIELDS.join(', ')}`,
    example: 'credits:desc',
  })
  @Optional()
  @Matches(new RegExp(`^(${SORT_FIELDS.join('|')})(:(asc|desc))?$`), {
    message: `sort must be field:asc|desc with field one of ${SORT_FIELDS.join(', ')}`,
  })
  sort?: string;

  @ApiPropertyOptional({
    type: 'integer',
    default: 1,
    minimum: 1,
    maximum: 10_000,
    description: 'Offset paging; prefer cursor past the first pages',
  })
  @Optional()
  @IntFromQuery()
  @IsInt()
  @Min(1)
  @Max(10_000)
  page?: number;

  @ApiPropertyOptional({ type: 'integer', default: 25, minimum: 1, maximum: 100 })
  @Optional()
  @IntFromQuery()
  @IsInt()
  @Min(1)
  @Max(100)
  limit?: number;

  @ApiPropertyOptional({ description: 'next_cursor from the previous page (keyset paging; overrides page)' })
  @Optional()
  @IsString()
  @MaxLength(500)
  cursor?: string;
}

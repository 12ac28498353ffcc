import { ApiPropertyOptional } from '@nestjs/swagger';
import { IsInt, IsString, Max, MaxLength, Min, MinLength } from 'class-validator';
import { IntFromQuery, Optional } from './validators.js';

/** `page` and `limit` of a paginated list query; list DTOs extend it and add their filters. */
export class PageQueryDto {
  @ApiPropertyOptional({ type: 'integer', default: 1, minimum: 1, maximum: 10_000 })
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
}

/** A newest-first list that also pages by keyset: `cursor` is the previous page's `next_cursor`. */
export class KeysetPageQueryDto extends PageQueryDto {
  @ApiPropertyOptional({
    description:
      "The previous page's next_cursor: the rows after its last one (overrides page). Rows added meanwhile " +
      'are neither repeated nor skipped, as they would be by page. Malformed: 400 VALIDATION_FAILED.',
  })
  @Optional()
  @IsString()
  @MinLength(1)
  @MaxLength(200)
  cursor?: string;
}

/** The answer's next_cursor of a KeysetPageQueryDto list. */
export const NEXT_CURSOR = {
  type: String,
  nullable: true,
  description: 'Send it as cursor for the next page; null on the last page',
} as const;

import { ApiPropertyOptional } from '@nestjs/swagger';
import { IsInt, Max, Min } from 'class-validator';
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

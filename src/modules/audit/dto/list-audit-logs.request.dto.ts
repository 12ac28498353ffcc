import { ApiPropertyOptional } from '@nestjs/swagger';
import { IsIn, IsInt, IsString, Max, MaxLength, Min } from 'class-validator';
import {
  IntFromQuery,
  IsId,
  IsSerialId,
  IsTimestamp,
  LowerCaseIfId,
  Optional,
  SERIAL_ID,
} from '../../../infrastructure/http/validators.js';

export class ListAuditLogsRequestDto {
  @ApiPropertyOptional({ description: 'Actor user id' })
  @Optional()
  @IsId()
  actor?: string;

  @ApiPropertyOptional({ description: 'Exact action name, e.g. players.update' })
  @Optional()
  @IsString()
  @MaxLength(200)
  action?: string;

  @ApiPropertyOptional({
    description: 'Target id: a player (or other entity) id in any case, a route pattern, a commodity, ...',
  })
  @Optional()
  @LowerCaseIfId()
  @IsString()
  @MaxLength(200)
  target?: string;

  @ApiPropertyOptional({ enum: ['success', 'denied'] })
  @Optional()
  @IsIn(['success', 'denied'])
  outcome?: 'success' | 'denied';

  @ApiPropertyOptional({ description: 'ISO 8601, inclusive' })
  @Optional()
  @IsTimestamp()
  from?: string;

  @ApiPropertyOptional({ description: 'ISO 8601, exclusive' })
  @Optional()
  @IsTimestamp()
  to?: string;

  @ApiPropertyOptional({
    ...SERIAL_ID,
    description: 'The rows after this one, newest first (keyset paging: next_cursor)',
  })
  @Optional()
  @IsSerialId()
  cursor?: number;

  @ApiPropertyOptional({ type: 'integer', default: 50, minimum: 1, maximum: 200 })
  @Optional()
  @IntFromQuery()
  @IsInt()
  @Min(1)
  @Max(200)
  limit?: number;
}

import { PageQueryDto } from '../../../infrastructure/http/page-query.dto.js';
import { ApiProperty, ApiPropertyOptional, OmitType } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import {
  ArrayMaxSize,
  ArrayMinSize,
  IsArray,
  IsBoolean,
  IsDefined,
  IsIn,
  IsInt,
  IsObject,
  Max,
  Min,
  ValidateNested,
} from 'class-validator';
import { IntFromQuery, IsId, IsReason, Optional } from '../../../infrastructure/http/validators.js';
import { ListPlayersRequestDto } from '../../players/dto/list-players.request.dto.js';
import { BULK_OPERATION_TYPES, BULK_STATUSES } from '../domain/bulk-parameters.js';

/** The /players/enhanced filters, with the same validation; paging and sorting make no sense here. */
export class BulkTargetFilterDto extends OmitType(ListPlayersRequestDto, [
  'sort',
  'page',
  'limit',
  'cursor',
] as const) {}

export class BulkTargetDto {
  @ApiPropertyOptional({ type: [String], format: 'uuid', maxItems: 100_000 })
  @Optional()
  @IsArray()
  @ArrayMinSize(1)
  @ArrayMaxSize(100_000)
  @IsId({ each: true })
  player_ids?: string[];

  @ApiPropertyOptional({
    type: BulkTargetFilterDto,
    description: 'Same filters as GET /admin/players/enhanced',
  })
  @Optional()
  @IsObject() // an array's .filter is Array.prototype.filter: it must not read as a filter over everyone
  @ValidateNested()
  @Type(() => BulkTargetFilterDto)
  filter?: BulkTargetFilterDto;
}

export class CreateBulkOperationRequestDto {
  @ApiProperty({ enum: BULK_OPERATION_TYPES })
  @IsIn(BULK_OPERATION_TYPES)
  operation_type: (typeof BULK_OPERATION_TYPES)[number];

  @ApiProperty({
    description:
      'adjust_credits {amount}; adjust_turns {amount}; set_status {status, ban_hours?}; teleport {sector_id}; ' +
      'send_message {message}; grant_ship {ship_type, name?}; reset_risk {}',
    example: { amount: 500 },
  })
  @IsObject()
  parameters: Record<string, unknown>;

  @ApiProperty({ type: BulkTargetDto })
  @IsDefined()
  @IsObject() // an array of targets is not one target (its .filter would select every player)
  @ValidateNested()
  @Type(() => BulkTargetDto)
  target: BulkTargetDto;

  @ApiProperty({ minLength: 3, maxLength: 500 })
  @IsReason()
  reason: string;

  @ApiPropertyOptional({ description: 'Count the targets and show a sample; change nothing' })
  @Optional() // null is refused: it is neither a dry run nor, silently, a real one
  @IsBoolean()
  dry_run?: boolean;
}

export class CancelBulkOperationRequestDto {
  @ApiProperty({ minLength: 3, maxLength: 500 })
  @IsReason()
  reason: string;
}

export class BulkStatusRequestDto {
  @ApiPropertyOptional({
    type: 'integer',
    default: 1,
    minimum: 1,
    maximum: 100_000,
    description: 'Page of per-player errors',
  })
  @Optional()
  @IntFromQuery()
  @IsInt()
  @Min(1)
  @Max(100_000)
  errors_page?: number;

  @ApiPropertyOptional({ type: 'integer', default: 50, minimum: 1, maximum: 500 })
  @Optional()
  @IntFromQuery()
  @IsInt()
  @Min(1)
  @Max(500)
  errors_limit?: number;
}

export class ListBulkOperationsRequestDto extends PageQueryDto {
  @ApiPropertyOptional({ enum: BULK_STATUSES })
  @Optional()
  @IsIn(BULK_STATUSES)
  status?: string;

  @ApiPropertyOptional({ format: 'uuid' })
  @Optional()
  @IsId()
  admin_id?: string;
}

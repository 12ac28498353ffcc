import { PageQueryDto } from '../../../infrastructure/http/page-query.dto.js';
import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import {
  ArrayMaxSize,
  IsArray,
  IsIn,
  IsInt,
  IsString,
  Matches,
  Max,
  MaxLength,
  Min,
  MinLength,
} from 'class-validator';
import { INT4_MAX, IsId, IsReason, Nullable, Optional } from '../../../infrastructure/http/validators.js';
import { INTERVENTION_STATUSES, PRIORITIES } from '../domain/intervention-status.js';

const CATEGORY = /^[a-z][a-z0-9_]{1,39}$/;

class ReasonDto {
  @ApiProperty({ minLength: 3, maxLength: 500, description: 'Why; recorded in the audit log' })
  @IsReason()
  reason: string;
}

export class InterventionQueueRequestDto extends PageQueryDto {
  @ApiPropertyOptional({ enum: INTERVENTION_STATUSES, description: 'Default: every open status' })
  @Optional()
  @IsIn(INTERVENTION_STATUSES)
  status?: string;

  @ApiPropertyOptional({ enum: PRIORITIES })
  @Optional()
  @IsIn(PRIORITIES)
  priority?: string;

  @ApiPropertyOptional()
  @Optional()
  @Matches(CATEGORY)
  category?: string;

  @ApiPropertyOptional({ format: 'uuid' })
  @Optional()
  @IsId()
  assigned_to?: string;

  @ApiPropertyOptional({ format: 'uuid' })
  @Optional()
  @IsId()
  player_id?: string;
}

export class CreateInterventionRequestDto extends ReasonDto {
  @ApiPropertyOptional({ format: 'uuid' })
  @Optional()
  @IsId()
  player_id?: string;

  @ApiPropertyOptional({ format: 'uuid', description: 'Fills priority, category and description not given' })
  @Optional()
  @IsId()
  template_id?: string;

  @ApiPropertyOptional({ enum: PRIORITIES })
  @Optional()
  @IsIn(PRIORITIES)
  priority?: (typeof PRIORITIES)[number];

  @ApiPropertyOptional({ example: 'economy' })
  @Optional()
  @Matches(CATEGORY, { message: 'category must be lower_snake_case, 2-40 characters' })
  category?: string;

  @ApiPropertyOptional({ description: 'One open intervention per player and cause' })
  @Optional()
  @Matches(CATEGORY, { message: 'cause must be lower_snake_case, 2-40 characters' })
  cause?: string;

  @ApiPropertyOptional({ maxLength: 2000 })
  @Optional()
  @IsString()
  @MinLength(3)
  @MaxLength(2000)
  description?: string;

  @ApiPropertyOptional({ format: 'uuid' })
  @Optional()
  @IsId()
  assigned_to?: string;
}

export class UpdateInterventionRequestDto extends ReasonDto {
  @ApiProperty({
    type: 'integer',
    minimum: 1,
    maximum: INT4_MAX,
    description: 'The version you read; a stale one is refused with 409',
  })
  @IsInt()
  @Min(1)
  @Max(INT4_MAX)
  version: number;

  @ApiPropertyOptional({ enum: INTERVENTION_STATUSES })
  @Optional()
  @IsIn(INTERVENTION_STATUSES)
  status?: (typeof INTERVENTION_STATUSES)[number];

  @ApiPropertyOptional({ format: 'uuid', nullable: true, description: 'null unassigns' })
  @Nullable()
  @IsId()
  assigned_to?: string | null;

  @ApiPropertyOptional({ enum: PRIORITIES })
  @Optional()
  @IsIn(PRIORITIES)
  priority?: (typeof PRIORITIES)[number];

  @ApiPropertyOptional({ maxLength: 4000 })
  @Optional()
  @IsString()
  @MinLength(3)
  @MaxLength(4000)
  resolution_notes?: string;
}

export class CreateTemplateRequestDto extends ReasonDto {
  @ApiProperty({ minLength: 3, maxLength: 80 })
  @IsString()
  @MinLength(3)
  @MaxLength(80)
  name: string;

  @ApiProperty({ example: 'economy' })
  @Matches(CATEGORY, { message: 'category must be lower_snake_case, 2-40 characters' })
  category: string;

  @ApiProperty({ enum: PRIORITIES })
  @IsIn(PRIORITIES)
  priority: (typeof PRIORITIES)[number];

  @ApiProperty({ maxLength: 2000 })
  @IsString()
  @MinLength(3)
  @MaxLength(2000)
  description: string;

  @ApiPropertyOptional({ type: [String], description: 'Suggested steps, e.g. emergency actions to consider' })
  @Optional()
  @IsArray()
  @ArrayMaxSize(20)
  @IsString({ each: true })
  @MaxLength(200, { each: true })
  suggested_actions?: string[];
}

export class UpdateTemplateRequestDto extends ReasonDto {
  @ApiProperty({ type: 'integer', minimum: 1, maximum: INT4_MAX, description: 'The version you read' })
  @IsInt()
  @Min(1)
  @Max(INT4_MAX)
  version: number;

  @ApiPropertyOptional() @Optional() @IsString() @MinLength(3) @MaxLength(80) name?: string;
  @ApiPropertyOptional() @Optional() @Matches(CATEGORY) category?: string;
  @ApiPropertyOptional({ enum: PRIORITIES })
  @Optional()
  @IsIn(PRIORITIES)
  priority?: (typeof PRIORITIES)[number];
  @ApiPropertyOptional() @Optional() @IsString() @MinLength(3) @MaxLength(2000) description?: string;

  @ApiPropertyOptional({ type: [String] })
  @Optional()
  @IsArray()
  @ArrayMaxSize(20)
  @IsString({ each: true })
  @MaxLength(200, { each: true })
  suggested_actions?: string[];
}

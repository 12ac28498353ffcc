import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import {
  ArrayMaxSize,
  ArrayUnique,
  IsArray,
  IsIn,
  IsInt,
  IsOptional,
  IsString,
  IsUUID,
  Max,
  MaxLength,
  Min,
  MinLength,
  ValidateNested,
} from 'class-validator';
import { COMMODITY_NAMES } from '../../trading/domain/commodities.js';
import { SHIP_TYPES } from '../../players/domain/starting-kit.js';

const MAX_CREDITS = 1e15;
const MAX_CARGO = 1_000_000;

class ReasonDto {
  @ApiProperty({ minLength: 3, maxLength: 500, description: 'Why; recorded in the audit log' })
  @IsString()
  @MinLength(3)
  @MaxLength(500)
  reason: string;
}

export class CargoTransferDto {
  @ApiProperty({ format: 'uuid', description: "The source player's ship" })
  @IsUUID()
  ship_id: string;

  @ApiPropertyOptional({ format: 'uuid', description: "The receiver's ship (default: its active ship)" })
  @IsOptional()
  @IsUUID()
  to_ship_id?: string;

  @ApiProperty({ enum: COMMODITY_NAMES })
  @IsIn(COMMODITY_NAMES)
  commodity: string;

  @ApiProperty({ minimum: 1 })
  @IsInt()
  @Min(1)
  @Max(MAX_CARGO)
  quantity: number;
}

export class TransferAssetsRequestDto extends ReasonDto {
  @ApiProperty({ format: 'uuid' })
  @IsUUID()
  to_player_id: string;

  @ApiPropertyOptional({ minimum: 1 })
  @IsOptional()
  @IsInt()
  @Min(1)
  @Max(MAX_CREDITS)
  credits?: number;

  @ApiPropertyOptional({ type: [String], format: 'uuid' })
  @IsOptional()
  @IsArray()
  @ArrayMaxSize(100)
  @ArrayUnique()
  @IsUUID('all', { each: true })
  ship_ids?: string[];

  @ApiPropertyOptional({ type: [String], format: 'uuid' })
  @IsOptional()
  @IsArray()
  @ArrayMaxSize(100)
  @ArrayUnique()
  @IsUUID('all', { each: true })
  planet_ids?: string[];

  @ApiPropertyOptional({ type: CargoTransferDto })
  @IsOptional()
  @ValidateNested()
  @Type(() => CargoTransferDto)
  cargo?: CargoTransferDto;
}

export class CreditsChangeDto {
  @ApiProperty({ enum: ['set', 'adjust'] })
  @IsIn(['set', 'adjust'])
  mode: 'set' | 'adjust';

  @ApiProperty({ description: 'New balance (set, >= 0) or signed delta (adjust)' })
  @IsInt()
  @Min(-MAX_CREDITS)
  @Max(MAX_CREDITS)
  amount: number;
}

export class ShipAddDto {
  @ApiProperty({ enum: SHIP_TYPES })
  @IsIn(SHIP_TYPES)
  type: string;

  @ApiPropertyOptional()
  @IsOptional()
  @IsString()
  @MinLength(1)
  @MaxLength(60)
  name?: string;
}

export class ShipUpdateDto {
  @ApiProperty({ format: 'uuid' })
  @IsUUID()
  ship_id: string;

  @ApiPropertyOptional()
  @IsOptional()
  @IsString()
  @MinLength(1)
  @MaxLength(60)
  name?: string;

  @ApiPropertyOptional({ minimum: 0, maximum: 100 })
  @IsOptional()
  @IsInt()
  @Min(0)
  @Max(100)
  hull?: number;

  @ApiPropertyOptional({ minimum: 1 })
  @IsOptional()
  @IsInt()
  @Min(1)
  sector_id?: number;
}

export class ShipsChangeDto {
  @ApiPropertyOptional({ type: [ShipAddDto] })
  @IsOptional()
  @IsArray()
  @ArrayMaxSize(20)
  @ValidateNested({ each: true })
  @Type(() => ShipAddDto)
  add?: ShipAddDto[];

  @ApiPropertyOptional({ type: [ShipUpdateDto] })
  @IsOptional()
  @IsArray()
  @ArrayMaxSize(100)
  @ValidateNested({ each: true })
  @Type(() => ShipUpdateDto)
  update?: ShipUpdateDto[];

  @ApiPropertyOptional({
    type: [String],
    format: 'uuid',
    description: 'Ships taken from the player (unowned)',
  })
  @IsOptional()
  @IsArray()
  @ArrayMaxSize(100)
  @ArrayUnique()
  @IsUUID('all', { each: true })
  remove?: string[];
}

export class CargoChangeDto {
  @ApiProperty({ format: 'uuid' })
  @IsUUID()
  ship_id: string;

  @ApiProperty({ enum: COMMODITY_NAMES })
  @IsIn(COMMODITY_NAMES)
  commodity: string;

  @ApiProperty({ enum: ['set', 'adjust'] })
  @IsIn(['set', 'adjust'])
  mode: 'set' | 'adjust';

  @ApiProperty({ description: 'Units (set, >= 0) or signed delta (adjust)' })
  @IsInt()
  @Min(-MAX_CARGO)
  @Max(MAX_CARGO)
  quantity: number;
}

export class PlanetsChangeDto {
  @ApiPropertyOptional({ type: [String], format: 'uuid', description: 'Unowned planets given to the player' })
  @IsOptional()
  @IsArray()
  @ArrayMaxSize(100)
  @ArrayUnique()
  @IsUUID('all', { each: true })
  assign?: string[];

  @ApiPropertyOptional({ type: [String], format: 'uuid', description: "The player's planets made unowned" })
  @IsOptional()
  @IsArray()
  @ArrayMaxSize(100)
  @ArrayUnique()
  @IsUUID('all', { each: true })
  release?: string[];
}

export class BulkUpdateAssetsRequestDto extends ReasonDto {
  @ApiPropertyOptional({ description: 'The player version you read; a stale one is refused with 409' })
  @IsOptional()
  @IsInt()
  @Min(1)
  version?: number;

  @ApiPropertyOptional({ type: CreditsChangeDto })
  @IsOptional()
  @ValidateNested()
  @Type(() => CreditsChangeDto)
  credits?: CreditsChangeDto;

  @ApiPropertyOptional({ type: ShipsChangeDto })
  @IsOptional()
  @ValidateNested()
  @Type(() => ShipsChangeDto)
  ships?: ShipsChangeDto;

  @ApiPropertyOptional({ type: [CargoChangeDto] })
  @IsOptional()
  @IsArray()
  @ArrayMaxSize(100)
  @ValidateNested({ each: true })
  @Type(() => CargoChangeDto)
  cargo?: CargoChangeDto[];

  @ApiPropertyOptional({ type: PlanetsChangeDto })
  @IsOptional()
  @ValidateNested()
  @Type(() => PlanetsChangeDto)
  planets?: PlanetsChangeDto;
}

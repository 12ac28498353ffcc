import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import {
  ArrayMaxSize,
  ArrayUnique,
  IsArray,
  IsIn,
  IsInt,
  IsObject,
  IsString,
  Max,
  MaxLength,
  Min,
  MinLength,
  registerDecorator,
  ValidateNested,
} from 'class-validator';
import { INT4_MAX, IsId, IsReason, Optional } from '../../../infrastructure/http/validators.js';
import { COMMODITY_NAMES } from '../../trading/domain/commodities.js';
import { SHIP_TYPES } from '../../players/domain/starting-kit.js';

export const MAX_CREDITS = 1e15;
export const MAX_CARGO = 1_000_000;

/** A rule on `amount`/`quantity` that depends on the sibling `mode`. */
function ForMode(
  name: string,
  message: (property: string) => string,
  ok: (mode: unknown, value: unknown) => boolean,
) {
  return (target: object, propertyName: string) =>
    registerDecorator({
      name,
      target: target.constructor,
      propertyName,
      options: { message: message(propertyName) },
      validator: { validate: (value: unknown, args) => ok((args?.object as { mode?: unknown }).mode, value) },
    });
}

/**
 * An adjust by 0 changes nothing, yet would bump the player's version (a 409 for everyone else editing it)
 * and write an audit row: refused. A set to 0 is a real change.
 */
const NonZeroAdjustment = () =>
  ForMode(
    'nonZeroAdjustment',
    (p) => `${p} must not be 0 with mode "adjust"`,
    (mode, v) => mode !== 'adjust' || v !== 0,
  );

/** A balance or a hold cannot be set below 0: bad input (400), not a conflict with the player's state. */
const NonNegativeSet = () =>
  ForMode(
    'nonNegativeSet',
    (p) => `${p} must not be negative with mode "set"`,
    (mode, v) => mode !== 'set' || typeof v !== 'number' || v >= 0,
  );

class ReasonDto {
  @ApiProperty({ minLength: 3, maxLength: 500, description: 'Why; recorded in the audit log' })
  @IsReason()
  reason: string;
}

export class CargoTransferDto {
  @ApiProperty({ format: 'uuid', description: "The source player's ship" })
  @IsId()
  ship_id: string;

  @ApiPropertyOptional({ format: 'uuid', description: "The receiver's ship (default: its active ship)" })
  @Optional()
  @IsId()
  to_ship_id?: string;

  @ApiProperty({ enum: COMMODITY_NAMES })
  @IsIn(COMMODITY_NAMES)
  commodity: string;

  @ApiProperty({ type: 'integer', minimum: 1, maximum: MAX_CARGO })
  @IsInt()
  @Min(1)
  @Max(MAX_CARGO)
  quantity: number;
}

export class TransferAssetsRequestDto extends ReasonDto {
  @ApiProperty({ format: 'uuid' })
  @IsId()
  to_player_id: string;

  @ApiPropertyOptional({ type: 'integer', minimum: 1, maximum: MAX_CREDITS })
  @Optional()
  @IsInt()
  @Min(1)
  @Max(MAX_CREDITS)
  credits?: number;

  @ApiPropertyOptional({ type: [String], format: 'uuid' })
  @Optional()
  @IsArray()
  @ArrayMaxSize(100)
  @ArrayUnique()
  @IsId({ each: true })
  ship_ids?: string[];

  @ApiPropertyOptional({ type: [String], format: 'uuid' })
  @Optional()
  @IsArray()
  @ArrayMaxSize(100)
  @ArrayUnique()
  @IsId({ each: true })
  planet_ids?: string[];

  @ApiPropertyOptional({ type: CargoTransferDto })
  @Optional()
  @IsObject()
  @ValidateNested()
  @Type(() => CargoTransferDto)
  cargo?: CargoTransferDto;
}

export class CreditsChangeDto {
  @ApiProperty({ enum: ['set', 'adjust'] })
  @IsIn(['set', 'adjust'])
  mode: 'set' | 'adjust';

  @ApiProperty({
    type: 'integer',
    minimum: -MAX_CREDITS,
    maximum: MAX_CREDITS,
    description: 'New balance (set, >= 0) or signed delta (adjust, not 0)',
  })
  @IsInt()
  @Min(-MAX_CREDITS)
  @Max(MAX_CREDITS)
  @NonZeroAdjustment()
  @NonNegativeSet()
  amount: number;
}

export class ShipAddDto {
  @ApiProperty({ enum: SHIP_TYPES })
  @IsIn(SHIP_TYPES)
  type: string;

  @ApiPropertyOptional()
  @Optional()
  @IsString()
  @MinLength(1)
  @MaxLength(60)
  name?: string;
}

export class ShipUpdateDto {
  @ApiProperty({ format: 'uuid' })
  @IsId()
  ship_id: string;

  @ApiPropertyOptional()
  @Optional()
  @IsString()
  @MinLength(1)
  @MaxLength(60)
  name?: string;

  @ApiPropertyOptional({ type: 'integer', minimum: 0, maximum: 100 })
  @Optional()
  @IsInt()
  @Min(0)
  @Max(100)
  hull?: number;

  @ApiPropertyOptional({ type: 'integer', minimum: 1, maximum: INT4_MAX })
  @Optional()
  @IsInt()
  @Min(1)
  @Max(INT4_MAX)
  sector_id?: number;
}

export class ShipsChangeDto {
  @ApiPropertyOptional({ type: [ShipAddDto] })
  @Optional()
  @IsArray()
  @ArrayMaxSize(20)
  @ValidateNested({ each: true })
  @Type(() => ShipAddDto)
  add?: ShipAddDto[];

  @ApiPropertyOptional({ type: [ShipUpdateDto] })
  @Optional()
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
  @Optional()
  @IsArray()
  @ArrayMaxSize(100)
  @ArrayUnique()
  @IsId({ each: true })
  remove?: string[];
}

export class CargoChangeDto {
  @ApiProperty({ format: 'uuid' })
  @IsId()
  ship_id: string;

  @ApiProperty({ enum: COMMODITY_NAMES })
  @IsIn(COMMODITY_NAMES)
  commodity: string;

  @ApiProperty({ enum: ['set', 'adjust'] })
  @IsIn(['set', 'adjust'])
  mode: 'set' | 'adjust';

  @ApiProperty({
    type: 'integer',
    minimum: -MAX_CARGO,
    maximum: MAX_CARGO,
    description: 'Units (set, >= 0) or signed delta (adjust, not 0)',
  })
  @IsInt()
  @Min(-MAX_CARGO)
  @Max(MAX_CARGO)
  @NonZeroAdjustment()
  @NonNegativeSet()
  quantity: number;
}

export class PlanetsChangeDto {
  @ApiPropertyOptional({ type: [String], format: 'uuid', description: 'Unowned planets given to the player' })
  @Optional()
  @IsArray()
  @ArrayMaxSize(100)
  @ArrayUnique()
  @IsId({ each: true })
  assign?: string[];

  @ApiPropertyOptional({ type: [String], format: 'uuid', description: "The player's planets made unowned" })
  @Optional()
  @IsArray()
  @ArrayMaxSize(100)
  @ArrayUnique()
  @IsId({ each: true })
  release?: string[];
}

export class BulkUpdateAssetsRequestDto extends ReasonDto {
  @ApiPropertyOptional({
    type: 'integer',
    minimum: 1,
    maximum: INT4_MAX,
    description: 'The player version you read; a stale one is refused with 409',
  })
  @Optional()
  @IsInt()
  @Min(1)
  @Max(INT4_MAX)
  version?: number;

  @ApiPropertyOptional({ type: CreditsChangeDto })
  @Optional()
  @IsObject()
  @ValidateNested()
  @Type(() => CreditsChangeDto)
  credits?: CreditsChangeDto;

  @ApiPropertyOptional({ type: ShipsChangeDto })
  @Optional()
  @IsObject()
  @ValidateNested()
  @Type(() => ShipsChangeDto)
  ships?: ShipsChangeDto;

  @ApiPropertyOptional({ type: [CargoChangeDto] })
  @Optional()
  @IsArray()
  @ArrayMaxSize(100)
  @ValidateNested({ each: true })
  @Type(() => CargoChangeDto)
  cargo?: CargoChangeDto[];

  @ApiPropertyOptional({ type: PlanetsChangeDto })
  @Optional()
  @IsObject()
  @ValidateNested()
  @Type(() => PlanetsChangeDto)
  planets?: PlanetsChangeDto;
}

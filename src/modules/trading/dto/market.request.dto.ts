import { PageQueryDto } from '../../../infrastructure/http/page-query.dto.js';
import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import {
  IsIn,
  IsInt,
  IsISO8601,
  IsOptional,
  IsString,
  IsUUID,
  Max,
  MaxLength,
  Min,
  MinLength,
} from 'class-validator';
import { COMMODITY_NAMES } from '../domain/commodities.js';
import { HISTORY_INTERVALS } from '../domain/market-trend.js';

export class RealtimeMarketRequestDto {
  @ApiPropertyOptional({ description: 'Lowest sector id (inclusive)' })
  @IsOptional()
  @Type(() => Number)
  @IsInt()
  @Min(1)
  min_sector?: number;

  @ApiPropertyOptional({ description: 'Highest sector id (inclusive)' })
  @IsOptional()
  @Type(() => Number)
  @IsInt()
  @Min(1)
  max_sector?: number;

  @ApiPropertyOptional({
    enum: ['buys', 'sells'],
    description: 'Only stations that buy it (best buy_price first) or sell it (best sell_price first)',
  })
  @IsOptional()
  @IsIn(['buys', 'sells'])
  side?: 'buys' | 'sells';

  @ApiPropertyOptional({ default: 100, maximum: 500 })
  @IsOptional()
  @Type(() => Number)
  @IsInt()
  @Min(1)
  @Max(500)
  limit?: number;
}

export class PriceHistoryRequestDto {
  @ApiProperty({ format: 'uuid' })
  @IsUUID()
  station_id: string;

  @ApiProperty({ enum: COMMODITY_NAMES })
  @IsString()
  @IsIn(COMMODITY_NAMES)
  commodity: string;

  @ApiPropertyOptional({ format: 'date-time', description: 'Default: 24 h before `to`' })
  @IsOptional()
  @IsISO8601({ strict: true })
  from?: string;

  @ApiPropertyOptional({ format: 'date-time', description: 'Default: now' })
  @IsOptional()
  @IsISO8601({ strict: true })
  to?: string;

  @ApiPropertyOptional({ enum: Object.keys(HISTORY_INTERVALS), default: '1h' })
  @IsOptional()
  @IsIn(Object.keys(HISTORY_INTERVALS))
  interval?: keyof typeof HISTORY_INTERVALS;
}

export class ListTradesRequestDto extends PageQueryDto {
  @ApiPropertyOptional({ enum: COMMODITY_NAMES })
  @IsOptional()
  @IsIn(COMMODITY_NAMES)
  commodity?: string;

  @ApiPropertyOptional({ format: 'uuid' })
  @IsOptional()
  @IsUUID()
  station_id?: string;
}

export class MarketHaltRequestDto {
  @ApiPropertyOptional({ enum: COMMODITY_NAMES, description: 'Omit to halt (or resume) all trading' })
  @IsOptional()
  @IsIn(COMMODITY_NAMES)
  commodity?: string;

  @ApiProperty({ minLength: 3, maxLength: 500 })
  @IsString()
  @MinLength(3)
  @MaxLength(500)
  reason: string;
}

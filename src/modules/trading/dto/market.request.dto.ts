import { KeysetPageQueryDto } from '../../../infrastructure/http/page-query.dto.js';
import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsIn, IsInt, IsString, Max, Min } from 'class-validator';
import {
  INT4_MAX,
  IntFromQuery,
  IsId,
  IsReason,
  IsTimestamp,
  Optional,
} from '../../../infrastructure/http/validators.js';
import { COMMODITY_NAMES } from '../domain/commodities.js';
import { HISTORY_INTERVALS } from '../domain/market-trend.js';

const SECTOR = { type: 'integer', minimum: 1, maximum: INT4_MAX } as const;

export class RealtimeMarketRequestDto {
  @ApiPropertyOptional({ ...SECTOR, description: 'Lowest sector id (inclusive)' })
  @Optional()
  @IntFromQuery()
  @IsInt()
  @Min(1)
  @Max(INT4_MAX)
  min_sector?: number;

  @ApiPropertyOptional({ ...SECTOR, description: 'Highest sector id (inclusive)' })
  @Optional()
  @IntFromQuery()
  @IsInt()
  @Min(1)
  @Max(INT4_MAX)
  max_sector?: number;

  @ApiPropertyOptional({
    enum: ['buys', 'sells'],
    description: 'Only stations that buy it (best buy_price first) or sell it (best sell_price first)',
  })
  @Optional()
  @IsIn(['buys', 'sells'])
  side?: 'buys' | 'sells';

  @ApiPropertyOptional({ type: 'integer', default: 100, minimum: 1, maximum: 500 })
  @Optional()
  @IntFromQuery()
  @IsInt()
  @Min(1)
  @Max(500)
  limit?: number;
}

export class PriceHistoryRequestDto {
  @ApiProperty({ format: 'uuid' })
  @IsId()
  station_id: string;

  @ApiProperty({ enum: COMMODITY_NAMES })
  @IsString()
  @IsIn(COMMODITY_NAMES)
  commodity: string;

  @ApiPropertyOptional({
    format: 'date-time',
    description:
      'Inclusive; default 24 h before `to`. Buckets start on multiples of `interval` since the epoch, so the first ' +
      "one's `bucket` may lie before `from`: it holds only the snapshots from `from` on.",
  })
  @Optional()
  @IsTimestamp()
  from?: string;

  @ApiPropertyOptional({ format: 'date-time', description: 'Exclusive; default now. Must be after `from`.' })
  @Optional()
  @IsTimestamp()
  to?: string;

  @ApiPropertyOptional({ enum: Object.keys(HISTORY_INTERVALS), default: '1h' })
  @Optional()
  @IsIn(Object.keys(HISTORY_INTERVALS))
  interval?: keyof typeof HISTORY_INTERVALS;
}

export class ListTradesRequestDto extends KeysetPageQueryDto {
  @ApiPropertyOptional({ enum: COMMODITY_NAMES })
  @Optional()
  @IsIn(COMMODITY_NAMES)
  commodity?: string;

  @ApiPropertyOptional({ format: 'uuid' })
  @Optional()
  @IsId()
  station_id?: string;
}

export class MarketHaltRequestDto {
  @ApiPropertyOptional({ enum: COMMODITY_NAMES, description: 'Omit to halt (or resume) all trading' })
  @Optional() // only an omitted commodity means all: a null from an unset form field must not stop the market
  @IsIn(COMMODITY_NAMES)
  commodity?: string;

  @ApiProperty({ minLength: 3, maxLength: 500 })
  @IsReason()
  reason: string;
}

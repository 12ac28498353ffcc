import { ApiProperty } from '@nestjs/swagger';
import { nullableEnum } from '../../../infrastructure/http/nullable-enum.js';
import { INT4_MAX } from '../../../infrastructure/http/validators.js';
import { COMMODITY_NAMES } from '../domain/commodities.js';

/** Whole credits, units and row versions are integer columns; averages, rates and predictions are not. */
const SECTOR = { type: 'integer', minimum: 1, maximum: INT4_MAX } as const;
const STATION_CLASS = { type: 'integer', minimum: 1, maximum: 11 } as const;
const CREDITS = { type: 'integer', minimum: 0 } as const;
const UNITS = { type: 'integer', minimum: 0 } as const;
const CAPACITY = { type: 'integer', minimum: 1 } as const;
const VERSION = {
  type: 'integer',
  minimum: 0,
  description:
    "The market row's version, as market_update carries it: an update whose version is not above it is older than this read",
} as const;

export class PredictionDto {
  @ApiProperty({ description: 'Credits per unit, to the cent (numeric(12,2))' }) predicted_price: number;
  @ApiProperty({ minimum: 0, maximum: 1 }) confidence: number;
  @ApiProperty({ format: 'date-time' }) predicted_at: string;
}

export class RealtimeMarketEntryDto {
  @ApiProperty({ format: 'uuid' }) station_id: string;
  @ApiProperty() station_name: string;
  @ApiProperty(SECTOR) sector_id: number;
  @ApiProperty(STATION_CLASS) station_class: number;
  @ApiProperty() buys: boolean;
  @ApiProperty() sells: boolean;
  @ApiProperty({ ...CREDITS, description: 'What the station pays per unit' }) buy_price: number;
  @ApiProperty({ ...CREDITS, description: 'What the station charges per unit' }) sell_price: number;
  @ApiProperty(UNITS) stock: number;
  @ApiProperty(CAPACITY) capacity: number;
  @ApiProperty(VERSION) version: number;
  @ApiProperty({ ...UNITS, description: 'Units traded in the last 24 h' }) volume_24h: number;
  @ApiProperty({ enum: ['up', 'down', 'flat', 'unknown'] }) trend: string;
  @ApiProperty({ nullable: true, type: Number, description: 'Mid-price change against 24 h ago, in %' })
  change_24h_pct: number | null;
  @ApiProperty({
    type: PredictionDto,
    nullable: true,
    description: "ARIA's latest prediction, null when none holds",
  })
  prediction: PredictionDto | null;
  @ApiProperty({ format: 'date-time' }) updated_at: string;
}

export class RealtimeMarketDto {
  @ApiProperty() commodity: string;
  @ApiProperty({ description: 'Trading in this commodity is halted (globally or for it)' }) halted: boolean;
  @ApiProperty({ type: [RealtimeMarketEntryDto] }) stations: RealtimeMarketEntryDto[];
}

export class StationMarketEntryDto {
  @ApiProperty() commodity: string;
  @ApiProperty() buys: boolean;
  @ApiProperty() sells: boolean;
  @ApiProperty(CREDITS) buy_price: number;
  @ApiProperty(CREDITS) sell_price: number;
  @ApiProperty(UNITS) stock: number;
  @ApiProperty(CAPACITY) capacity: number;
  @ApiProperty({ description: 'Units per hour (negative: consumption); a real column' })
  production_rate: number;
  @ApiProperty(VERSION) version: number;
  @ApiProperty({ ...UNITS, description: 'Units traded in the last 24 h' }) volume_24h: number;
  @ApiProperty() halted: boolean;
  @ApiProperty({
    type: PredictionDto,
    nullable: true,
    description: "ARIA's latest prediction, null when none holds",
  })
  prediction: PredictionDto | null;
}

export class StationDto {
  @ApiProperty({ format: 'uuid' }) id: string;
  @ApiProperty() name: string;
  @ApiProperty(SECTOR) sector_id: number;
  @ApiProperty(STATION_CLASS) station_class: number;
  @ApiProperty() class_name: string;
  @ApiProperty({ description: 'bigint decimal string' }) treasury: string;
  @ApiProperty({ type: [StationMarketEntryDto] }) markets: StationMarketEntryDto[];
}

export class PriceHistoryPointDto {
  @ApiProperty({ format: 'date-time' }) bucket: string;
  @ApiProperty({ description: 'Rounded to 2 decimals' }) buy_price_avg: number;
  @ApiProperty(CREDITS) buy_price_min: number;
  @ApiProperty(CREDITS) buy_price_max: number;
  @ApiProperty({ description: 'Rounded to 2 decimals' }) sell_price_avg: number;
  @ApiProperty(CREDITS) sell_price_min: number;
  @ApiProperty(CREDITS) sell_price_max: number;
  @ApiProperty({ ...UNITS, description: 'Stock at the last snapshot of the bucket' }) stock: number;
  @ApiProperty({ type: 'integer', minimum: 1, description: 'Snapshots in the bucket' }) samples: number;
}

export class PriceHistoryDto {
  @ApiProperty({ format: 'uuid' }) station_id: string;
  @ApiProperty() commodity: string;
  @ApiProperty() interval: string;
  @ApiProperty({ format: 'date-time' }) from: string;
  @ApiProperty({ format: 'date-time' }) to: string;
  @ApiProperty({ type: [PriceHistoryPointDto] }) points: PriceHistoryPointDto[];
}

export class MarketHaltDto {
  @ApiProperty({ ...nullableEnum(COMMODITY_NAMES), description: 'null: every commodity' })
  commodity: string | null;
  @ApiProperty() halted: boolean;
  @ApiProperty() reason: string;
  @ApiProperty({ format: 'date-time' }) at: string;
}

/** A halt in force (GET /admin/market/halts), oldest first. */
export class ActiveMarketHaltDto {
  @ApiProperty({ ...nullableEnum(COMMODITY_NAMES), description: 'null: every commodity' })
  commodity: string | null;
  @ApiProperty() reason: string;
  @ApiProperty({ format: 'uuid', nullable: true, type: String, description: 'null: that user is gone' })
  halted_by: string | null;
  @ApiProperty({ format: 'date-time' }) halted_at: string;
}

import { ApiProperty } from '@nestjs/swagger';
import { nullableEnum } from '../../../infrastructure/http/nullable-enum.js';
import { COMMODITY_NAMES } from '../domain/commodities.js';

export class PredictionDto {
  @ApiProperty() predicted_price: number;
  @ApiProperty({ minimum: 0, maximum: 1 }) confidence: number;
  @ApiProperty({ format: 'date-time' }) predicted_at: string;
}

export class RealtimeMarketEntryDto {
  @ApiProperty({ format: 'uuid' }) station_id: string;
  @ApiProperty() station_name: string;
  @ApiProperty() sector_id: number;
  @ApiProperty() station_class: number;
  @ApiProperty() buys: boolean;
  @ApiProperty() sells: boolean;
  @ApiProperty({ description: 'What the station pays per unit' }) buy_price: number;
  @ApiProperty({ description: 'What the station charges per unit' }) sell_price: number;
  @ApiProperty() stock: number;
  @ApiProperty() capacity: number;
  @ApiProperty({
    description:
      "The market row's version, as market_update carries it: an update whose version is not above it is older than this read",
  })
  version: number;
  @ApiProperty({ description: 'Units traded in the last 24 h' }) volume_24h: number;
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
  @ApiProperty() buy_price: number;
  @ApiProperty() sell_price: number;
  @ApiProperty() stock: number;
  @ApiProperty() capacity: number;
  @ApiProperty({ description: 'Units per hour (negative: consumption)' }) production_rate: number;
  @ApiProperty({
    description:
      "The market row's version, as market_update carries it: an update whose version is not above it is older than this read",
  })
  version: number;
  @ApiProperty() volume_24h: number;
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
  @ApiProperty() sector_id: number;
  @ApiProperty() station_class: number;
  @ApiProperty() class_name: string;
  @ApiProperty({ description: 'bigint decimal string' }) treasury: string;
  @ApiProperty({ type: [StationMarketEntryDto] }) markets: StationMarketEntryDto[];
}

export class PriceHistoryPointDto {
  @ApiProperty({ format: 'date-time' }) bucket: string;
  @ApiProperty() buy_price_avg: number;
  @ApiProperty() buy_price_min: number;
  @ApiProperty() buy_price_max: number;
  @ApiProperty() sell_price_avg: number;
  @ApiProperty() sell_price_min: number;
  @ApiProperty() sell_price_max: number;
  @ApiProperty({ description: 'Stock at the last snapshot of the bucket' }) stock: number;
  @ApiProperty() samples: number;
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

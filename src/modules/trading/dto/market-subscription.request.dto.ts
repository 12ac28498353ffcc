import { ArrayMaxSize, ArrayNotEmpty, IsArray, IsIn, IsOptional, IsUUID } from 'class-validator';
import { COMMODITY_NAMES, type Commodity } from '../domain/commodities.js';

export const MAX_STATION_SUBSCRIPTIONS = 200;

/** /market market_subscribe: commodities, optionally narrowed to some stations. */
export class MarketSubscribeRequestDto {
  @IsArray()
  @ArrayNotEmpty()
  @ArrayMaxSize(COMMODITY_NAMES.length)
  @IsIn(COMMODITY_NAMES, { each: true })
  commodities: Commodity[];

  @IsOptional()
  @IsArray()
  @ArrayMaxSize(MAX_STATION_SUBSCRIPTIONS)
  @IsUUID('all', { each: true })
  station_ids?: string[];
}

/** /market market_unsubscribe: without commodities, everything. */
export class MarketUnsubscribeRequestDto {
  @IsOptional()
  @IsArray()
  @IsIn(COMMODITY_NAMES, { each: true })
  commodities?: Commodity[];

  @IsOptional()
  @IsArray()
  @IsUUID('all', { each: true })
  station_ids?: string[];
}

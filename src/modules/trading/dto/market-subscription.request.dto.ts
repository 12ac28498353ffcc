import { ArrayMaxSize, ArrayNotEmpty, IsArray, IsIn } from 'class-validator';
import { IsId, Optional } from '../../../infrastructure/http/validators.js';
import { COMMODITY_NAMES, type Commodity } from '../domain/commodities.js';

export const MAX_STATION_SUBSCRIPTIONS = 200;

/** /market market_subscribe: commodities, optionally narrowed to some stations. */
export class MarketSubscribeRequestDto {
  @IsArray()
  @ArrayNotEmpty()
  @ArrayMaxSize(COMMODITY_NAMES.length)
  @IsIn(COMMODITY_NAMES, { each: true })
  commodities: Commodity[];

  @Optional()
  @IsArray()
  @ArrayMaxSize(MAX_STATION_SUBSCRIPTIONS)
  @IsId({ each: true })
  station_ids?: string[];
}

/**
 * /market market_unsubscribe: without commodities, everything (an omitted field, not null). The same caps
 * as market_subscribe: every element is compared with every room the socket is in.
 */
export class MarketUnsubscribeRequestDto {
  @Optional()
  @IsArray()
  @ArrayMaxSize(COMMODITY_NAMES.length)
  @IsIn(COMMODITY_NAMES, { each: true })
  commodities?: Commodity[];

  @Optional()
  @IsArray()
  @ArrayMaxSize(MAX_STATION_SUBSCRIPTIONS)
  @IsId({ each: true })
  station_ids?: string[];
}

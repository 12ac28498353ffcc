import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsIn, IsInt, IsString, Max, Min, ValidateIf } from 'class-validator';
import { IsId, Optional } from '../../../infrastructure/http/validators.js';
import { COMMODITY_NAMES, type Commodity } from '../domain/commodities.js';
import type { TradeAction, TradeRequest } from '../domain/trade-rules.js';

const MAX_PRICE = 1_000_000;
/** A price limit: whole credits, a JSON integer. */
const PRICE_LIMIT = { type: 'integer', minimum: 0, maximum: MAX_PRICE } as const;

/** The fields a trade and a quote share. */
abstract class TradeBodyDto {
  @ApiProperty({ format: 'uuid' })
  @IsId()
  station_id: string;

  @ApiProperty({ enum: COMMODITY_NAMES })
  @IsString()
  @IsIn(COMMODITY_NAMES)
  commodity: Commodity;

  @ApiProperty({ enum: ['buy', 'sell'], description: 'buy: you buy from the station; sell: you sell to it' })
  @IsIn(['buy', 'sell'])
  action: TradeAction;

  @ApiProperty({
    type: 'integer',
    minimum: 1,
    maximum: 1_000_000,
    description: 'Units; at most TRADE_MAX_QUANTITY (default 10,000)',
  })
  @IsInt()
  @Min(1)
  @Max(1_000_000)
  quantity: number;

  max_unit_price?: number;
  min_unit_price?: number;
}

/** POST /trading/quote: like a trade, with the price limit optional (omit it for none; null is refused). */
export class QuoteRequestDto extends TradeBodyDto {
  @ApiPropertyOptional({ ...PRICE_LIMIT, description: 'buy only: the most you pay per unit' })
  @Optional()
  @IsInt()
  @Min(0)
  @Max(MAX_PRICE)
  declare max_unit_price?: number;

  @ApiPropertyOptional({ ...PRICE_LIMIT, description: 'sell only: the least you accept per unit' })
  @Optional()
  @IsInt()
  @Min(0)
  @Max(MAX_PRICE)
  declare min_unit_price?: number;
}

/** POST /trading/trades: the price limit of the chosen side is required (protection against slippage). */
export class ExecuteTradeRequestDto extends TradeBodyDto {
  @ApiPropertyOptional({ ...PRICE_LIMIT, description: 'buy: required, the most you pay per unit' })
  @ValidateIf((o: ExecuteTradeRequestDto) => o.action === 'buy' || o.max_unit_price !== undefined)
  @IsInt({ message: 'max_unit_price is required for a buy and must be an integer' })
  @Min(0)
  @Max(MAX_PRICE)
  declare max_unit_price?: number;

  @ApiPropertyOptional({ ...PRICE_LIMIT, description: 'sell: required, the least you accept per unit' })
  @ValidateIf((o: ExecuteTradeRequestDto) => o.action === 'sell' || o.min_unit_price !== undefined)
  @IsInt({ message: 'min_unit_price is required for a sell and must be an integer' })
  @Min(0)
  @Max(MAX_PRICE)
  declare min_unit_price?: number;
}

/** Field problems the decorators cannot express (a limit for the other side). Empty when fine. */
export function crossFieldProblems(body: TradeBodyDto): Record<string, string[]> {
  const fields: Record<string, string[]> = {};
  if (body.action === 'buy' && body.min_unit_price !== undefined)
    fields.min_unit_price = ['only for action "sell"'];
  if (body.action === 'sell' && body.max_unit_price !== undefined)
    fields.max_unit_price = ['only for action "buy"'];
  return fields;
}

export function toTradeRequest(body: TradeBodyDto): TradeRequest {
  return {
    stationId: body.station_id,
    commodity: body.commodity,
    action: body.action,
    quantity: body.quantity,
    limitPrice: body.action === 'buy' ? body.max_unit_price : body.min_unit_price,
  };
}

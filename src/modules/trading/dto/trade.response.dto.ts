import { ApiProperty } from '@nestjs/swagger';
import { NEXT_CURSOR } from '../../../infrastructure/http/page-query.dto.js';
import { COMMODITY_NAMES } from '../domain/commodities.js';
import type { TradePlan, TradeRequest } from '../domain/trade-rules.js';

const UNITS = { type: 'integer', minimum: 0 } as const;
const QUANTITY = { type: 'integer', minimum: 1 } as const;
const UNIT_PRICE = {
  type: 'integer',
  minimum: 0,
  description:
    'Whole credits per unit, for the whole quantity: the posted price, or the one the trade leaves when that is worse for the player',
} as const;

export class TradeShipDto {
  @ApiProperty({ format: 'uuid' }) id: string;
  @ApiProperty({ type: 'integer', minimum: 1 }) capacity: number;
  @ApiProperty(UNITS) cargo_used: number;
  @ApiProperty({ ...UNITS, description: 'Units of this commodity aboard after the trade' }) held: number;
}

export class TradeMarketDto {
  @ApiProperty(UNITS) stock: number;
  @ApiProperty({ ...UNIT_PRICE, description: 'What the station now pays per unit' }) buy_price: number;
  @ApiProperty({ ...UNIT_PRICE, description: 'What the station now charges per unit' }) sell_price: number;
}

/** The result of a trade; a replay of its Idempotency-Key returns this same body. */
export class TradeResultDto {
  @ApiProperty({ format: 'uuid' }) trade_id: string;
  @ApiProperty({ format: 'uuid' }) station_id: string;
  @ApiProperty({ enum: COMMODITY_NAMES }) commodity: string;
  @ApiProperty({ enum: ['buy', 'sell'] }) action: 'buy' | 'sell';
  @ApiProperty(QUANTITY) quantity: number;
  @ApiProperty(UNIT_PRICE) unit_price: number;
  @ApiProperty({ description: 'bigint as a decimal string' }) total: string;
  @ApiProperty({ description: 'Your credits after the trade (bigint decimal string)' }) credits_after: string;
  @ApiProperty({ type: TradeShipDto }) ship: TradeShipDto;
  @ApiProperty({ type: TradeMarketDto, description: 'The market after the trade' }) market: TradeMarketDto;
  @ApiProperty({ format: 'date-time' }) executed_at: string;
}

export class TradeQuoteDto {
  @ApiProperty({ format: 'uuid' }) station_id: string;
  @ApiProperty({ enum: COMMODITY_NAMES }) commodity: string;
  @ApiProperty({ enum: ['buy', 'sell'] }) action: 'buy' | 'sell';
  @ApiProperty(QUANTITY) quantity: number;
  @ApiProperty(UNIT_PRICE) unit_price: number;
  @ApiProperty() total: string;
  @ApiProperty() credits_after: string;
  @ApiProperty({ type: TradeMarketDto, description: 'The market as it would be after the trade' })
  market_after: TradeMarketDto;
  @ApiProperty({ format: 'date-time' }) quoted_at: string;
}

/** The figures a trade and its quote share: what was asked and what the plan makes of it. */
export function planFigures(
  request: TradeRequest,
  plan: TradePlan,
): Pick<
  TradeQuoteDto,
  'station_id' | 'commodity' | 'action' | 'quantity' | 'unit_price' | 'total' | 'credits_after'
> {
  return {
    station_id: request.stationId,
    commodity: request.commodity,
    action: request.action,
    quantity: request.quantity,
    unit_price: plan.unitPrice,
    total: plan.total.toString(),
    credits_after: plan.creditsAfter.toString(),
  };
}

/** The station's market as the plan leaves it. */
export function marketAfter(plan: TradePlan): TradeMarketDto {
  return {
    stock: plan.stockAfter,
    buy_price: plan.pricesAfter.buyPrice,
    sell_price: plan.pricesAfter.sellPrice,
  };
}

export class TradeHistoryItemDto {
  @ApiProperty({ format: 'uuid' }) trade_id: string;
  @ApiProperty({ format: 'uuid' }) station_id: string;
  @ApiProperty() station_name: string;
  @ApiProperty() commodity: string;
  @ApiProperty() action: string;
  @ApiProperty(QUANTITY) quantity: number;
  @ApiProperty(UNIT_PRICE) unit_price: number;
  @ApiProperty() total: string;
  @ApiProperty() credits_after: string;
  @ApiProperty({ format: 'date-time' }) executed_at: string;
}

export class TradeHistoryDto {
  @ApiProperty({ type: [TradeHistoryItemDto] }) trades: TradeHistoryItemDto[];
  @ApiProperty({ type: 'integer', minimum: 1, maximum: 10_000 }) page: number;
  @ApiProperty({ type: 'integer', minimum: 1, maximum: 100 }) limit: number;
  @ApiProperty({ type: 'integer', minimum: 0 }) total_count: number;
  @ApiProperty({ ...NEXT_CURSOR }) next_cursor: string | null;
}

import { Query } from '@nestjs/cqrs';
import type { HistoryInterval } from '../domain/market-trend.js';
import type { PriceHistoryDto } from '../dto/market.response.dto.js';

export class GetPriceHistoryQuery extends Query<PriceHistoryDto> {
  constructor(
    readonly stationId: string,
    readonly commodity: string,
    readonly from: Date | undefined,
    readonly to: Date | undefined,
    readonly interval: HistoryInterval,
  ) {
    super();
  }
}

import { Query } from '@nestjs/cqrs';
import type { RealtimeMarketDto } from '../dto/market.response.dto.js';

export interface RealtimeMarketFilters {
  minSector?: number;
  maxSector?: number;
  side?: 'buys' | 'sells';
  limit?: number;
}

/** Every station trading one commodity, best price first. `commodity` is checked by the handler (404). */
export class GetRealtimeMarketQuery extends Query<RealtimeMarketDto> {
  constructor(
    readonly commodity: string,
    readonly filters: RealtimeMarketFilters,
  ) {
    super();
  }
}

import { Query } from '@nestjs/cqrs';
import type { TradeHistoryDto } from '../dto/trade.response.dto.js';

/** The caller's own trades, newest first. There is no player parameter: nobody reads another's ledger here. */
export class ListOwnTradesQuery extends Query<TradeHistoryDto> {
  constructor(
    readonly playerId: string | null,
    readonly page: number,
    readonly limit: number,
    readonly commodity?: string,
    readonly stationId?: string,
    /** The previous page's next_cursor (keyset paging; overrides page). */
    readonly cursor?: string,
  ) {
    super();
  }
}

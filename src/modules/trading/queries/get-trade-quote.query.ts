import { Query } from '@nestjs/cqrs';
import type { TradeRequest } from '../domain/trade-rules.js';
import type { TradeQuoteDto } from '../dto/trade.response.dto.js';

/** What a trade would do now, under the same rules, writing nothing. */
export class GetTradeQuoteQuery extends Query<TradeQuoteDto> {
  constructor(
    readonly playerId: string | null,
    readonly request: TradeRequest,
  ) {
    super();
  }
}

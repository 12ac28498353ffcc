import { Inject } from '@nestjs/common';
import { QueryHandler, type IQueryHandler } from '@nestjs/cqrs';
import { PreparedStatements } from '../../../infrastructure/database/prepared-statements.js';
import { APP_CONFIG, type AppConfig } from '../../../config/app-config.js';
import { readTradeContext } from '../commands/trade-context.js';
import { planTrade } from '../domain/trade-rules.js';
import { assertQuantity, TradingErrors } from '../domain/trading.errors.js';
import { marketAfter, planFigures, type TradeQuoteDto } from '../dto/trade.response.dto.js';
import { GetTradeQuoteQuery } from './get-trade-quote.query.js';

/** Runs the trade rules on an unlocked read: the same answer (or the same rejection) a trade would get now. */
@QueryHandler(GetTradeQuoteQuery)
export class GetTradeQuoteHandler implements IQueryHandler<GetTradeQuoteQuery> {
  constructor(
    private readonly sql: PreparedStatements,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  async execute({ playerId, request }: GetTradeQuoteQuery): Promise<TradeQuoteDto> {
    if (!playerId) throw TradingErrors.playersOnly();
    assertQuantity(request.quantity, this.config.tradeMaxQuantity);
    const ctx = await readTradeContext(
      (name, text, values) => this.sql.query(name, text, values),
      playerId,
      request,
      { idempotencyKey: null, lock: false },
    );
    const plan = planTrade(request, ctx);
    return {
      ...planFigures(request, plan),
      market_after: marketAfter(plan),
      quoted_at: new Date().toISOString(),
    };
  }
}

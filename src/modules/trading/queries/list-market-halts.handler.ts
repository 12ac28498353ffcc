import { QueryHandler, type IQueryHandler } from '@nestjs/cqrs';
import { DataSource } from 'typeorm';
import { ListMarketHaltsQuery, type MarketHaltView } from './list-market-halts.query.js';

@QueryHandler(ListMarketHaltsQuery)
export class ListMarketHaltsHandler implements IQueryHandler<ListMarketHaltsQuery> {
  constructor(private readonly dataSource: DataSource) {}

  async execute(): Promise<MarketHaltView[]> {
    const rows = await this.dataSource.query(
      `SELECT scope, reason, halted_by, halted_at FROM market_halts ORDER BY halted_at`,
    );
    return (rows as Array<{ scope: string; reason: string; halted_by: string | null; halted_at: Date }>).map(
      (r) => ({
        commodity: r.scope === '*' ? null : r.scope,
        reason: r.reason,
        halted_by: r.halted_by,
        halted_at: new Date(r.halted_at).toISOString(),
      }),
    );
  }
}

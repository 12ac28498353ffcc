import { QueryHandler, type IQueryHandler } from '@nestjs/cqrs';
import { DataSource } from 'typeorm';
import {
  afterCursor,
  keysetColumnsSql,
  keysetPage,
  type KeysetRow,
} from '../../../infrastructure/http/time-keyset.js';
import { TradingErrors } from '../domain/trading.errors.js';
import type { TradeHistoryDto, TradeHistoryItemDto } from '../dto/trade.response.dto.js';
import { ListOwnTradesQuery } from './list-own-trades.query.js';

@QueryHandler(ListOwnTradesQuery)
export class ListOwnTradesHandler implements IQueryHandler<ListOwnTradesQuery> {
  constructor(private readonly dataSource: DataSource) {}

  async execute(q: ListOwnTradesQuery): Promise<TradeHistoryDto> {
    if (!q.playerId) throw TradingErrors.playersOnly();
    const params: unknown[] = [q.playerId];
    const where = ['mt.player_id = $1'];
    if (q.commodity) {
      params.push(q.commodity);
      where.push(`mt.commodity = $${params.length}`);
    }
    if (q.stationId) {
      params.push(q.stationId);
      where.push(`mt.station_id = $${params.length}`);
    }
    const filter = where.join(' AND ');
    const pg = afterCursor(q.cursor, filter, params, 'mt.created_at', 'mt.id');
    const [rows, [count]] = await Promise.all([
      this.dataSource.query(
        `SELECT mt.id AS trade_id, mt.station_id, s.name AS station_name, mt.commodity, mt.action, mt.quantity,
                  mt.unit_price, mt.total::text AS total, mt.credits_after::text AS credits_after,
                  mt.created_at AS executed_at, ${keysetColumnsSql('mt.created_at', 'mt.id')}
           FROM market_transactions mt JOIN stations s ON s.id = mt.station_id
           WHERE ${pg.where}
           ORDER BY mt.created_at DESC, mt.id DESC
           LIMIT $${pg.params.length + 1} OFFSET $${pg.params.length + 2}`,
        [...pg.params, q.limit + 1, pg.keyset ? 0 : (q.page - 1) * q.limit],
      ) as Promise<Array<Omit<TradeHistoryItemDto, 'executed_at'> & { executed_at: Date } & KeysetRow>>,
      this.dataSource.query(`SELECT count(*)::int AS n FROM market_transactions mt WHERE ${filter}`, params),
    ]);
    const page = keysetPage(rows, q.limit);
    return {
      trades: page.rows.map((r) => ({ ...r, executed_at: new Date(r.executed_at).toISOString() })),
      page: q.page,
      limit: q.limit,
      total_count: count.n,
      next_cursor: page.next_cursor,
    };
  }
}

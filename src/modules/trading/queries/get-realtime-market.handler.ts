import { QueryHandler, type IQueryHandler } from '@nestjs/cqrs';
import { DataSource } from 'typeorm';
import { isCommodity } from '../domain/commodities.js';
import { trendOf } from '../domain/market-trend.js';
import { MarketErrors } from '../domain/trading.errors.js';
import type { RealtimeMarketDto } from '../dto/market.response.dto.js';
import { GetRealtimeMarketQuery } from './get-realtime-market.query.js';
import { LATEST_PREDICTION, predictionOf, type PredictionRow, VOLUME_24H } from './market-sql.js';

interface RealtimeRow {
  station_id: string;
  station_name: string;
  sector_id: number;
  station_class: number;
  buys: boolean;
  sells: boolean;
  buy_price: number;
  sell_price: number;
  stock: number;
  capacity: number;
  version: string;
  updated_at: Date;
  volume_24h: number;
  prediction: PredictionRow | null;
  reference: { buy: number; sell: number } | null;
}

@QueryHandler(GetRealtimeMarketQuery)
export class GetRealtimeMarketHandler implements IQueryHandler<GetRealtimeMarketQuery> {
  constructor(private readonly dataSource: DataSource) {}

  async execute({ commodity, filters }: GetRealtimeMarketQuery): Promise<RealtimeMarketDto> {
    if (!isCommodity(commodity)) throw MarketErrors.unknownCommodity(commodity);
    if (
      filters.minSector !== undefined &&
      filters.maxSector !== undefined &&
      filters.minSector > filters.maxSector
    )
      throw MarketErrors.badRange('min_sector must not exceed max_sector', 'min_sector');

    const params: unknown[] = [commodity];
    const where = ['sm.commodity = $1'];
    if (filters.side === 'buys') where.push('sm.buys');
    else if (filters.side === 'sells') where.push('sm.sells');
    else where.push('(sm.buys OR sm.sells)');
    if (filters.minSector !== undefined) {
      params.push(filters.minSector);
      where.push(`s.sector_id >= $${params.length}`);
    }
    if (filters.maxSector !== undefined) {
      params.push(filters.maxSector);
      where.push(`s.sector_id <= $${params.length}`);
    }
    // Best for the player: the cheapest seller, or the highest-paying buyer.
    const order =
      filters.side === 'buys'
        ? 'sm.buy_price DESC'
        : filters.side === 'sells'
          ? 'sm.sell_price ASC'
          : 'sm.sells DESC, CASE WHEN sm.sells THEN sm.sell_price END ASC, sm.buy_price DESC';
    params.push(filters.limit ?? 100);

    const [rows, [halt]] = await Promise.all([
      this.dataSource.query(
        `SELECT s.id AS station_id, s.name AS station_name, s.sector_id, s.class AS station_class,
                  sm.buys, sm.sells, sm.buy_price, sm.sell_price, sm.stock, sm.capacity, sm.version, sm.updated_at,
                  ${VOLUME_24H} AS volume_24h, ${LATEST_PREDICTION} AS prediction,
                  (SELECT jsonb_build_object('buy', ph.buy_price, 'sell', ph.sell_price) FROM price_history ph
                   WHERE ph.station_id = sm.station_id AND ph.commodity = sm.commodity
                     AND ph.recorded_at >= now() - interval '24 hours'
                   ORDER BY ph.recorded_at ASC LIMIT 1) AS reference
           FROM station_markets sm JOIN stations s ON s.id = sm.station_id
           WHERE ${where.join(' AND ')}
           ORDER BY ${order}, s.sector_id, s.id
           LIMIT $${params.length}`,
        params,
      ),
      this.dataSource.query(`SELECT EXISTS (SELECT 1 FROM market_halts WHERE scope IN ('*', $1)) AS halted`, [
        commodity,
      ]),
    ]);
    return {
      commodity,
      halted: halt.halted,
      stations: (rows as RealtimeRow[]).map((r) => {
        const ref = r.reference ? { buyPrice: r.reference.buy, sellPrice: r.reference.sell } : null;
        const { trend, changePct } = trendOf(ref, { buyPrice: r.buy_price, sellPrice: r.sell_price });
        return {
          station_id: r.station_id,
          station_name: r.station_name,
          sector_id: r.sector_id,
          station_class: r.station_class,
          buys: r.buys,
          sells: r.sells,
          buy_price: r.buy_price,
          sell_price: r.sell_price,
          stock: r.stock,
          capacity: r.capacity,
          version: Number(r.version),
          volume_24h: r.volume_24h,
          trend,
          change_24h_pct: changePct,
          prediction: predictionOf(r.prediction),
          updated_at: new Date(r.updated_at).toISOString(),
        };
      }),
    };
  }
}

import { QueryHandler, type IQueryHandler } from '@nestjs/cqrs';
import { DataSource } from 'typeorm';
import { HISTORY_INTERVAL_MS, HISTORY_INTERVALS } from '../domain/market-trend.js';
import { MarketErrors } from '../domain/trading.errors.js';
import type { PriceHistoryDto, PriceHistoryPointDto } from '../dto/market.response.dto.js';
import { GetPriceHistoryQuery } from './get-price-history.query.js';

const MAX_BUCKETS = 2000;

/** price_history snapshots bucketed by `interval` (date_bin on the epoch), oldest first. */
@QueryHandler(GetPriceHistoryQuery)
export class GetPriceHistoryHandler implements IQueryHandler<GetPriceHistoryQuery> {
  constructor(private readonly dataSource: DataSource) {}

  async execute(q: GetPriceHistoryQuery): Promise<PriceHistoryDto> {
    const to = q.to ?? new Date();
    const from = q.from ?? new Date(to.getTime() - 86_400_000);
    if (from >= to) throw MarketErrors.badRange('from must be before to', 'from');
    if ((to.getTime() - from.getTime()) / HISTORY_INTERVAL_MS[q.interval] > MAX_BUCKETS)
      throw MarketErrors.badRange(
        `at most ${MAX_BUCKETS} buckets: widen interval or narrow the range`,
        'interval',
      );

    const [stations, points] = await Promise.all([
      this.dataSource.query(`SELECT 1 FROM stations WHERE id = $1`, [q.stationId]),
      this.dataSource.query(
        `SELECT date_bin($4::interval, recorded_at, timestamptz '1970-01-01 00:00:00+00') AS bucket,
                  round(avg(buy_price), 2)::float8 AS buy_price_avg, min(buy_price) AS buy_price_min,
                  max(buy_price) AS buy_price_max, round(avg(sell_price), 2)::float8 AS sell_price_avg,
                  min(sell_price) AS sell_price_min, max(sell_price) AS sell_price_max,
                  (array_agg(stock ORDER BY recorded_at DESC))[1] AS stock, count(*)::int AS samples
           FROM price_history
           WHERE station_id = $1 AND commodity = $2 AND recorded_at >= $3 AND recorded_at < $5
           GROUP BY 1 ORDER BY 1`,
        [q.stationId, q.commodity, from, HISTORY_INTERVALS[q.interval], to],
      ),
    ]);
    if (stations.length === 0) throw MarketErrors.stationNotFound();
    return {
      station_id: q.stationId,
      commodity: q.commodity,
      interval: q.interval,
      from: from.toISOString(),
      to: to.toISOString(),
      points: (points as Array<Omit<PriceHistoryPointDto, 'bucket'> & { bucket: Date }>).map((p) => ({
        ...p,
        bucket: new Date(p.bucket).toISOString(),
      })),
    };
  }
}

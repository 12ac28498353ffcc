import { QueryHandler, type IQueryHandler } from '@nestjs/cqrs';
import { DataSource } from 'typeorm';
import { STATION_CLASSES } from '../domain/commodities.js';
import { MarketErrors } from '../domain/trading.errors.js';
import type { StationDto } from '../dto/market.response.dto.js';
import { GetStationMarketQuery } from './get-station-market.query.js';
import { HALTED, LATEST_PREDICTION, predictionOf, type PredictionRow, VOLUME_24H } from './market-sql.js';

interface MarketRow {
  commodity: string;
  buys: boolean;
  sells: boolean;
  buy_price: number;
  sell_price: number;
  stock: number;
  capacity: number;
  production_rate: number;
  version: string;
  volume_24h: number;
  halted: boolean;
  prediction: PredictionRow | null;
}

@QueryHandler(GetStationMarketQuery)
export class GetStationMarketHandler implements IQueryHandler<GetStationMarketQuery> {
  constructor(private readonly dataSource: DataSource) {}

  async execute({ stationId }: GetStationMarketQuery): Promise<StationDto> {
    const [stations, markets] = await Promise.all([
      this.dataSource.query(
        `SELECT id, name, sector_id, class, treasury::text AS treasury FROM stations WHERE id = $1`,
        [stationId],
      ),
      this.dataSource.query(
        `SELECT sm.commodity, sm.buys, sm.sells, sm.buy_price, sm.sell_price, sm.stock, sm.capacity,
                  sm.production_rate, sm.version, ${VOLUME_24H} AS volume_24h, ${HALTED} AS halted,
                  ${LATEST_PREDICTION} AS prediction
           FROM station_markets sm WHERE sm.station_id = $1 ORDER BY sm.commodity`,
        [stationId],
      ),
    ]);
    const s = stations[0];
    if (!s) throw MarketErrors.stationNotFound();
    return {
      id: s.id,
      name: s.name,
      sector_id: s.sector_id,
      station_class: s.class,
      class_name: STATION_CLASSES[s.class]?.name ?? 'Unknown',
      treasury: s.treasury,
      markets: (markets as MarketRow[]).map((m) => ({
        commodity: m.commodity,
        buys: m.buys,
        sells: m.sells,
        buy_price: m.buy_price,
        sell_price: m.sell_price,
        stock: m.stock,
        capacity: m.capacity,
        production_rate: Number(m.production_rate),
        version: Number(m.version),
        volume_24h: m.volume_24h,
        halted: m.halted,
        prediction: predictionOf(m.prediction),
      })),
    };
  }
}

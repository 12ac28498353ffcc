import { QueryHandler, type IQueryHandler } from '@nestjs/cqrs';
import { DataSource } from 'typeorm';
import { AssetsErrors } from '../domain/assets.errors.js';
import { GetAssetsDetailedQuery, type AssetsDetailedView } from './get-assets-detailed.query.js';

const ts = (col: string) => `to_char(${col} AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')`;

/** One round trip: each collection a bounded, indexed subquery aggregated to JSON. */
const SQL = `
SELECT json_build_object('id', p.id, 'username', p.username, 'status', p.status, 'credits', p.credits::text,
         'version', p.version, 'current_sector', p.current_sector) AS player,
  coalesce((SELECT json_agg(json_build_object('id', s.id, 'name', s.name, 'type', s.type, 'sector_id', s.sector_id,
            'capacity', s.capacity, 'cargo_used', s.cargo_used, 'cargo_free', s.capacity - s.cargo_used,
            'cargo', s.cargo, 'hull', s.hull, 'active', s.id = p.active_ship_id) ORDER BY s.created_at, s.id)
     FROM ships s WHERE s.player_id = p.id), '[]') AS ships,
  coalesce((SELECT json_agg(json_build_object('id', x.id, 'name', x.name, 'type', x.type, 'sector_id', x.sector_id,
            'population', x.population::text) ORDER BY x.created_at, x.id)
     FROM planets x WHERE x.owner_id = p.id), '[]') AS planets,
  coalesce((SELECT json_agg(tr) FROM (
     SELECT id, station_id, ship_id, commodity, action, quantity, unit_price, total::text AS total,
            credits_after::text AS credits_after, ${ts('created_at')} AS created_at
     FROM market_transactions WHERE player_id = p.id ORDER BY created_at DESC LIMIT $2) tr), '[]') AS recent_ledger
FROM players p WHERE p.id = $1`;

@QueryHandler(GetAssetsDetailedQuery)
export class GetAssetsDetailedHandler implements IQueryHandler<GetAssetsDetailedQuery> {
  constructor(private readonly dataSource: DataSource) {}

  async execute({ playerId, ledgerLimit }: GetAssetsDetailedQuery): Promise<AssetsDetailedView> {
    const [row] = await this.dataSource.query(SQL, [playerId, ledgerLimit]);
    if (!row) throw AssetsErrors.playerNotFound();
    const totals: Record<string, number> = {};
    for (const ship of row.ships as AssetsDetailedView['ships']) {
      for (const [c, q] of Object.entries(ship.cargo)) totals[c] = (totals[c] ?? 0) + q;
    }
    return { ...row, credits: row.player.credits, cargo_totals: totals };
  }
}
